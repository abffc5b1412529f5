//! What each request is: the kinds of request, the per-user state (random generator, own copy/member pair,
//! circulation state machine), the mixed-scenario weights and the pairs file.

use bytes::Bytes;
use hyper::Method;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::config::{Config, Scenario};

/// The kinds of request, for per-kind statistics.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Get,
    Search,
    List,
    Checkout,
    Return,
    /// A book's copies (`opac`).
    Copies,
    /// A page of `--paths` (`pages`).
    Page,
}

impl Kind {
    pub const ALL: [Kind; 7] =
        [Kind::Get, Kind::Search, Kind::List, Kind::Checkout, Kind::Return, Kind::Copies, Kind::Page];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Get => "get",
            Kind::Search => "search",
            Kind::List => "list",
            Kind::Checkout => "checkout",
            Kind::Return => "return",
            Kind::Copies => "copies",
            Kind::Page => "page",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What a `mixed` request is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MixChoice {
    Search,
    List,
    Get,
    Circulation,
}

/// Draws the kind of a `mixed` request: 60% search, 20% list, 15% get, 5% circulation step.
pub fn choose_mixed(rng: &mut impl Rng) -> MixChoice {
    match rng.gen_range(0..100u32) {
        0..=59 => MixChoice::Search,
        60..=79 => MixChoice::List,
        80..=94 => MixChoice::Get,
        _ => MixChoice::Circulation,
    }
}

/// What a finished circulation step completed, for the counters.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Completed {
    pub checkout: bool,
    pub ret: bool,
    /// A return that closed a checkout this user made: a completed pair.
    pub pair: bool,
}

/// Per-user checkout/return state machine.
///
/// Checkout → 201: next is the return. Checkout → 409: the copy is probably still out (an interrupted
/// earlier run), so return it and go on. Return → 200: next is a checkout; a pair is complete if the
/// checkout was ours. Return → 409 (not on loan): back to checkout. Anything else (including a transport
/// error): try the same step again.
#[derive(Debug, Default)]
pub struct Circulation {
    on_loan: bool,
    checked_out_by_us: bool,
}

impl Circulation {
    pub fn next_kind(&self) -> Kind {
        if self.on_loan {
            Kind::Return
        } else {
            Kind::Checkout
        }
    }

    /// Feeds the status of the step just sent (`None` for a transport error).
    pub fn on_response(&mut self, kind: Kind, status: Option<u16>) -> Completed {
        let mut done = Completed::default();
        match (kind, status) {
            (Kind::Checkout, Some(201)) => {
                self.on_loan = true;
                self.checked_out_by_us = true;
                done.checkout = true;
            }
            (Kind::Checkout, Some(409)) => {
                self.on_loan = true;
                self.checked_out_by_us = false;
            }
            (Kind::Return, Some(200)) => {
                done.ret = true;
                done.pair = self.checked_out_by_us;
                self.on_loan = false;
                self.checked_out_by_us = false;
            }
            (Kind::Return, Some(409)) => {
                self.on_loan = false;
                self.checked_out_by_us = false;
            }
            _ => {}
        }
        done
    }
}

/// A request to send.
pub struct Planned {
    pub kind: Kind,
    pub method: Method,
    pub path: String,
    pub body: Option<Bytes>,
}

/// One virtual user's scenario state.
pub struct User {
    rng: SmallRng,
    pub circulation: Circulation,
    /// Pre-serialized bodies for this user's pair: (checkout, return).
    bodies: Option<(Bytes, Bytes)>,
}

impl User {
    /// User `index` of a run: its own seeded generator and, if there are pairs, the `index`-th pair.
    pub fn new(config: &Config, index: usize) -> User {
        let seed = config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(index as u64);
        let bodies = config.pairs.get(index).map(|p| {
            let checkout = serde_json::json!({"barcode": p.barcode, "card_number": p.card_number});
            let ret = serde_json::json!({"barcode": p.barcode});
            (Bytes::from(checkout.to_string()), Bytes::from(ret.to_string()))
        });
        User { rng: SmallRng::seed_from_u64(seed), circulation: Circulation::default(), bodies }
    }

    /// The next request of `config.scenario` for this user.
    pub fn plan(&mut self, config: &Config) -> Planned {
        match config.scenario {
            Scenario::Get => self.get(config),
            Scenario::Search => self.search(config),
            Scenario::List => self.list(config),
            Scenario::FirstPage => planned_get(Kind::List, format!("{}/api/v1/books?page=1&per_page=20", config.base)),
            Scenario::Health => planned_get(Kind::Get, format!("{}/healthz", config.base)),
            Scenario::Circulation => self.circulation_step(config),
            Scenario::Mixed => match choose_mixed(&mut self.rng) {
                MixChoice::Search => self.search(config),
                MixChoice::List => self.list(config),
                MixChoice::Get => self.get(config),
                MixChoice::Circulation => self.circulation_step(config),
            },
            Scenario::Opac => self.opac(config),
            Scenario::Pages => {
                let path = &config.paths[self.rng.gen_range(0..config.paths.len())];
                planned_get(Kind::Page, format!("{}{path}", config.base))
            }
        }
    }

    /// A third each: the page's search, a book, a book's copies (opening a book is the last two).
    fn opac(&mut self, config: &Config) -> Planned {
        let id = self.rng.gen_range(1..=config.max_id);
        match self.rng.gen_range(0..3u32) {
            0 => {
                let term = &config.terms[self.rng.gen_range(0..config.terms.len())];
                planned_get(Kind::Search, format!("{}/api/v1/books/search?q={term}&page=1&per_page=20", config.base))
            }
            1 => planned_get(Kind::Get, format!("{}/api/v1/books/{id}", config.base)),
            _ => planned_get(Kind::Copies, format!("{}/api/v1/books/{id}/copies", config.base)),
        }
    }

    fn get(&mut self, config: &Config) -> Planned {
        let id = self.rng.gen_range(1..=config.max_id);
        planned_get(Kind::Get, format!("{}/api/v1/books/{id}", config.base))
    }

    fn search(&mut self, config: &Config) -> Planned {
        let term = &config.terms[self.rng.gen_range(0..config.terms.len())];
        planned_get(Kind::Search, format!("{}/api/v1/books?q={term}&per_page=20", config.base))
    }

    fn list(&mut self, config: &Config) -> Planned {
        let page = self.rng.gen_range(1..=5);
        planned_get(Kind::List, format!("{}/api/v1/books?per_page=20&page={page}", config.base))
    }

    fn circulation_step(&mut self, config: &Config) -> Planned {
        let (checkout, ret) = self.bodies.as_ref().expect("circulation scenarios are checked to have a pair per user");
        match self.circulation.next_kind() {
            Kind::Return => Planned {
                kind: Kind::Return,
                method: Method::POST,
                path: format!("{}/api/v1/returns", config.base),
                body: Some(ret.clone()),
            },
            _ => Planned {
                kind: Kind::Checkout,
                method: Method::POST,
                path: format!("{}/api/v1/loans", config.base),
                body: Some(checkout.clone()),
            },
        }
    }
}

fn planned_get(kind: Kind, path: String) -> Planned {
    Planned { kind, method: Method::GET, path, body: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_weights_are_about_right() {
        let mut rng = SmallRng::seed_from_u64(1);
        let n = 100_000;
        let mut counts = [0u32; 4];
        for _ in 0..n {
            counts[choose_mixed(&mut rng) as usize] += 1;
        }
        let share: Vec<f64> = counts.iter().map(|&c| f64::from(c) / f64::from(n)).collect();
        for (got, want) in share.iter().zip([0.60, 0.20, 0.15, 0.05]) {
            assert!((got - want).abs() < 0.01, "shares {share:?}");
        }
    }

    #[test]
    fn circulation_state_machine() {
        let mut c = Circulation::default();
        assert_eq!(c.next_kind(), Kind::Checkout);
        // A copy left out by an earlier run: 409, return it (not a pair), then a full pair.
        assert_eq!(c.on_response(Kind::Checkout, Some(409)), Completed::default());
        assert_eq!(c.next_kind(), Kind::Return);
        assert_eq!(c.on_response(Kind::Return, Some(200)), Completed { checkout: false, ret: true, pair: false });
        assert_eq!(c.on_response(Kind::Checkout, Some(201)), Completed { checkout: true, ret: false, pair: false });
        // A failed return is retried.
        c.on_response(Kind::Return, None);
        assert_eq!(c.next_kind(), Kind::Return);
        assert_eq!(c.on_response(Kind::Return, Some(200)), Completed { checkout: false, ret: true, pair: true });
        // Return of a copy that is not on loan: back to checkout.
        c.on_response(Kind::Checkout, Some(201));
        c.on_response(Kind::Return, Some(409));
        assert_eq!(c.next_kind(), Kind::Checkout);
    }
}
