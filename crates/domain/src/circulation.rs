//! Loan rules: who may borrow or renew, when loans fall due, and what lateness costs.
//!
//! Money is integer rupiah throughout; there are no floats here.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use super::status::{CopyStatus, FineStatus, HoldStatus};
use super::validation::ValidationError;

/// The most money any loan rule may name, in rupiah: Rp 10.000.000, the ceiling of `fine_per_day`,
/// `max_fine_per_loan` and `fine_limit`.
///
/// Libraries charge Rp 500 to a few thousand a day, so this is far above any real rule, and far
/// below where sums overflow: a fine of Rp 10.000.000 a day for a century late is under 4×10^11,
/// and totals of such fines stay exact in an `i64` and in a JavaScript number (2^53 ≈ 9×10^15)
/// for millions of fines. Totals saturate ([`total_money`]) besides, for rows stored before
/// the ceiling.
pub const MAX_MONEY: i64 = 10_000_000;

/// The library's lending rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoanPolicy {
    /// Most loans a member may have at once (0–100).
    pub max_loans: i64,
    /// Length of a loan or renewal in days (1–365).
    pub loan_days: i64,
    /// How many times one loan may be renewed (0–20).
    pub max_renewals: i64,
    /// Fine in rupiah per open day a loan is late (0–10.000.000).
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub fine_per_day: i64,
    /// Largest fine for one loan in rupiah (0–10.000.000); 0 means no cap.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub max_fine_per_loan: i64,
    /// Unpaid fines (rupiah) at or above this block borrowing and renewing (0–10.000.000); 0 = never block.
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub fine_limit: i64,
    /// Days a member has to collect a hold once it is ready (1–60).
    pub hold_pickup_days: i64,
    /// Days a loan may be overdue before it stops the member borrowing and renewing (0–365);
    /// 0, the default, blocks from the first day late.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 365)]
    pub overdue_grace_days: i64,
    /// Charge in rupiah for a lost copy that has no price of its own (0–10.000.000); 0 = none.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub lost_charge: i64,
    /// Charge in rupiah for a copy returned damaged (0–10.000.000), never more than the copy's price.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub damage_charge: i64,
}

impl LoanPolicy {
    /// Checks every field is in range, returning the policy unchanged if so.
    pub fn validate(self) -> Result<Self, ValidationError> {
        let checks: [(&str, i64, i64, i64); 10] = [
            ("Maximum loans", self.max_loans, 0, 100),
            ("Loan period (days)", self.loan_days, 1, 365),
            ("Maximum renewals", self.max_renewals, 0, 20),
            ("Fine per day", self.fine_per_day, 0, MAX_MONEY),
            ("Maximum fine per loan", self.max_fine_per_loan, 0, MAX_MONEY),
            ("Fine limit", self.fine_limit, 0, MAX_MONEY),
            ("Hold pickup period (days)", self.hold_pickup_days, 1, 60),
            ("Overdue grace (days)", self.overdue_grace_days, 0, 365),
            ("Lost copy charge", self.lost_charge, 0, MAX_MONEY),
            ("Damaged copy charge", self.damage_charge, 0, MAX_MONEY),
        ];
        for (field, value, min, max) in checks {
            if !(min..=max).contains(&value) {
                return Err(ValidationError::out_of_range(field, min, max));
            }
        }
        Ok(self)
    }

    /// The policy with its money fields brought within `0..=MAX_MONEY`: for rules read back from
    /// the database, which may have been stored before the ceiling existed.
    pub fn clamp_money(self) -> Self {
        let money = |v: i64| v.clamp(0, MAX_MONEY);
        Self {
            fine_per_day: money(self.fine_per_day),
            max_fine_per_loan: money(self.max_fine_per_loan),
            fine_limit: money(self.fine_limit),
            lost_charge: money(self.lost_charge),
            damage_charge: money(self.damage_charge),
            ..self
        }
    }

    /// Due date of a loan (or renewal) starting on `day`: `loan_days` later, moved to an open day.
    pub fn due_date(&self, cal: &Calendar, day: NaiveDate) -> NaiveDate {
        cal.due_date(day, days_u32(self.loan_days))
    }

    /// Last day to collect a hold that became ready on `ready_day`, moved to an open day.
    pub fn hold_pickup_deadline(&self, cal: &Calendar, ready_day: NaiveDate) -> NaiveDate {
        cal.due_date(ready_day, days_u32(self.hold_pickup_days))
    }
}

/// Converts a day count to `u32`, treating negatives as 0 and saturating large values.
fn days_u32(days: i64) -> u32 {
    u32::try_from(days.max(0)).unwrap_or(u32::MAX)
}

/// What the rules need to know about a member at the moment of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberStanding {
    /// Whether staff have blocked the member.
    pub blocked: bool,
    /// Why the member was blocked, if a reason was recorded.
    pub blocked_reason: Option<String>,
    /// Last day the membership is valid; `None` means it never expires.
    pub expires_on: Option<NaiveDate>,
    /// Number of loans currently out.
    pub active_loans: i64,
    /// Unpaid fines in rupiah (what is left of each after part payments).
    pub unpaid_fines: i64,
    /// Fines accruing on overdue loans still out, as they would be charged if returned today.
    pub accruing_fines: i64,
    /// The earliest due day of the loans still out, when one is overdue.
    pub overdue_since: Option<NaiveDate>,
}

impl MemberStanding {
    /// What counts towards the fine limit: fines owed plus fines accruing on loans still out.
    pub fn fines_owed(&self) -> i64 {
        self.unpaid_fines.saturating_add(self.accruing_fines)
    }
}

/// Why a borrow or renewal was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Staff blocked the member.
    Blocked {
        /// The recorded reason (may be empty).
        reason: String,
    },
    /// The membership expired.
    Expired {
        /// Last day the membership was valid.
        on: NaiveDate,
    },
    /// The member already has the maximum number of loans.
    LoanLimit {
        /// The maximum number of loans.
        max: i64,
    },
    /// The member owes too much in fines.
    FinesOwed {
        /// Unpaid fines in rupiah.
        owed: i64,
        /// The blocking threshold in rupiah.
        limit: i64,
    },
    /// The loan has been renewed as often as allowed.
    RenewLimit {
        /// The maximum number of renewals.
        max: i64,
    },
    /// The member has a loan overdue (beyond the category's grace) to return first.
    OverdueLoans {
        /// The earliest due day among the member's overdue loans.
        since: NaiveDate,
    },
    /// The loan is already overdue and must be returned.
    Overdue {
        /// The date the loan was due.
        due: NaiveDate,
    },
    /// Another member has a hold waiting for this item.
    HeldForOthers,
    /// The copy is lent to someone already.
    CopyOnLoan {
        /// The copy's barcode.
        barcode: String,
    },
    /// The copy is lost or withdrawn.
    CopyUnavailable {
        /// The copy's barcode.
        barcode: String,
        /// Its status.
        status: CopyStatus,
    },
    /// The copy waits on the hold shelf for another member.
    CopyHeldForOther {
        /// The copy's barcode.
        barcode: String,
    },
    /// The copy is lent or on the hold shelf, so its status cannot be set by hand.
    CopyInCirculation {
        /// The copy's barcode.
        barcode: String,
        /// Its status.
        status: CopyStatus,
    },
    /// The copy's status changed between reading and writing it.
    CopyChanged {
        /// The copy's barcode.
        barcode: String,
    },
    /// A copy being returned is not on loan.
    NotOnLoan {
        /// The copy's barcode.
        barcode: String,
    },
    /// The loan was returned already.
    AlreadyReturned,
    /// The member already has an open hold on this book.
    HoldExists,
    /// The member has a copy of this book on loan.
    AlreadyBorrowed,
    /// A copy is on the shelf: lend it instead of placing a hold.
    CopyOnShelf,
    /// The hold is no longer open.
    HoldClosed {
        /// Its status.
        status: HoldStatus,
    },
    /// The fine was paid or waived already.
    FineSettled {
        /// Its status.
        status: FineStatus,
    },
    /// The record has loan history (or fines), so it is kept.
    HasHistory(Record),
    /// Members are in the category.
    CategoryInUse,
    /// The last admin account cannot be removed.
    LastAdmin,
    /// The stock take is finished: it takes no more scans.
    StocktakeFinished,
    /// The stock take is still open: finish it first.
    StocktakeOpen,
    /// The copy's collection type (or the loan-rule matrix for the member's category) keeps it in
    /// the library: it is read there, never lent.
    NotForLoan {
        /// The copy's barcode.
        barcode: String,
        /// The name of the copy's collection type, e.g. `Referensi`.
        collection_type: String,
    },
    /// The member has as many loans of this collection type as their category's rule allows.
    TypeLimit {
        /// The name of the collection type.
        collection_type: String,
        /// The rule's maximum.
        max: i64,
    },
    /// Books or copies are of this collection type: move them to another first.
    TypeInUse,
    /// The rule says "due at the end of the term", and no term of the calendar contains today.
    NoCurrentTerm,
}

impl Refusal {
    /// How many kinds of refusal there are ([`Refusal::kind`] numbers them `0..KINDS`).
    pub const KINDS: usize = 29;

    /// The kind's number. An exhaustive match: a new kind does not compile until it is numbered,
    /// and the test `samples_cover_every_kind` then fails until [`Refusal::samples`] has one.
    pub fn kind(&self) -> usize {
        match self {
            Self::Blocked { .. } => 0,
            Self::Expired { .. } => 1,
            Self::LoanLimit { .. } => 2,
            Self::FinesOwed { .. } => 3,
            Self::RenewLimit { .. } => 4,
            Self::Overdue { .. } => 5,
            Self::HeldForOthers => 6,
            Self::CopyOnLoan { .. } => 7,
            Self::CopyUnavailable { .. } => 8,
            Self::CopyHeldForOther { .. } => 9,
            Self::CopyInCirculation { .. } => 10,
            Self::CopyChanged { .. } => 11,
            Self::NotOnLoan { .. } => 12,
            Self::AlreadyReturned => 13,
            Self::HoldExists => 14,
            Self::AlreadyBorrowed => 15,
            Self::CopyOnShelf => 16,
            Self::HoldClosed { .. } => 17,
            Self::FineSettled { .. } => 18,
            Self::HasHistory(_) => 19,
            Self::CategoryInUse => 20,
            Self::LastAdmin => 21,
            Self::OverdueLoans { .. } => 22,
            Self::StocktakeFinished => 23,
            Self::StocktakeOpen => 24,
            Self::NotForLoan { .. } => 25,
            Self::TypeLimit { .. } => 26,
            Self::TypeInUse => 27,
            Self::NoCurrentTerm => 28,
        }
    }

    /// At least one refusal of each kind, for the tests that must cover them all: each reads as a
    /// sentence (here), each has a problem code the page can translate (the server's errors).
    pub fn samples() -> Vec<Refusal> {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date");
        let b = || "B1".to_owned();
        vec![
            Self::Blocked { reason: String::new() },
            Self::Expired { on: d },
            Self::LoanLimit { max: 1 },
            Self::FinesOwed { owed: 1, limit: 1 },
            Self::RenewLimit { max: 1 },
            Self::Overdue { due: d },
            Self::HeldForOthers,
            Self::CopyOnLoan { barcode: b() },
            Self::CopyUnavailable { barcode: b(), status: CopyStatus::Lost },
            Self::CopyHeldForOther { barcode: b() },
            Self::CopyInCirculation { barcode: b(), status: CopyStatus::OnLoan },
            Self::CopyChanged { barcode: b() },
            Self::NotOnLoan { barcode: b() },
            Self::AlreadyReturned,
            Self::HoldExists,
            Self::AlreadyBorrowed,
            Self::CopyOnShelf,
            Self::HoldClosed { status: HoldStatus::Fulfilled },
            Self::HoldClosed { status: HoldStatus::Cancelled },
            Self::FineSettled { status: FineStatus::Paid },
            Self::HasHistory(Record::Book),
            Self::HasHistory(Record::Copy),
            Self::HasHistory(Record::Member),
            Self::CategoryInUse,
            Self::LastAdmin,
            Self::OverdueLoans { since: d },
            Self::StocktakeFinished,
            Self::StocktakeOpen,
            Self::NotForLoan { barcode: b(), collection_type: "Referensi".into() },
            Self::TypeLimit { collection_type: "Buku Paket".into(), max: 1 },
            Self::TypeInUse,
            Self::NoCurrentTerm,
        ]
    }
}

/// A kind of record a rule speaks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// A book.
    Book,
    /// A copy of a book.
    Copy,
    /// A member.
    Member,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Blocked { reason } if reason.trim().is_empty() => {
                f.write_str("The member is blocked from borrowing.")
            }
            Self::Blocked { reason } => {
                write!(f, "The member is blocked from borrowing: {}.", reason.trim().trim_end_matches('.'))
            }
            Self::Expired { on } => write!(f, "The membership expired on {on}."),
            Self::LoanLimit { max } => write!(
                f,
                "The member has reached the limit of {max} {} on loan.",
                if *max == 1 { "item" } else { "items" }
            ),
            Self::FinesOwed { owed, limit } => write!(
                f,
                "The member owes {} in unpaid fines; borrowing is blocked from {}.",
                format_rupiah(*owed),
                format_rupiah(*limit)
            ),
            Self::RenewLimit { max } => {
                write!(f, "The loan has reached the limit of {max} {}.", if *max == 1 { "renewal" } else { "renewals" })
            }
            Self::OverdueLoans { since } => {
                write!(f, "The member has a loan overdue since {since}; return it before borrowing or renewing.")
            }
            Self::Overdue { due } => write!(f, "The loan was due on {due} and is overdue, so it cannot be renewed."),
            Self::HeldForOthers => {
                f.write_str("Another member is waiting for this item, so the loan cannot be renewed.")
            }
            Self::CopyOnLoan { barcode } => write!(f, "Copy {barcode} is already on loan."),
            Self::CopyUnavailable { barcode, status } => write!(f, "Copy {barcode} is {status} and cannot be lent."),
            Self::CopyHeldForOther { barcode } => {
                write!(f, "Copy {barcode} is on the hold shelf for another member.")
            }
            Self::CopyInCirculation { barcode, status } => {
                write!(f, "Copy {barcode} is {status}; return it or cancel the hold first.")
            }
            Self::CopyChanged { barcode } => write!(f, "Copy {barcode} changed meanwhile; try again."),
            Self::NotOnLoan { barcode } => write!(f, "Copy {barcode} is not on loan."),
            Self::AlreadyReturned => f.write_str("This loan was already returned."),
            Self::HoldExists => f.write_str("This member already has a hold on this book."),
            Self::AlreadyBorrowed => f.write_str("This member has a copy of this book on loan."),
            Self::CopyOnShelf => f.write_str("A copy is on the shelf: borrow it instead of placing a hold."),
            Self::HoldClosed { status } => write!(f, "This hold is already {status}."),
            Self::FineSettled { status } => write!(f, "This fine is already {status}."),
            Self::HasHistory(Record::Book) => {
                f.write_str("This book's copies have loan history; withdraw the copies instead of deleting the book.")
            }
            Self::HasHistory(Record::Copy) => f.write_str("This copy has loan history; mark it withdrawn instead."),
            Self::HasHistory(Record::Member) => {
                f.write_str("This member has loans or fines on record; block the member instead of deleting.")
            }
            Self::CategoryInUse => f.write_str("Members are in this category; move them first."),
            Self::LastAdmin => f.write_str("The last admin account cannot be deleted."),
            Self::StocktakeFinished => f.write_str("This stock take is finished; start a new one to scan again."),
            Self::StocktakeOpen => f.write_str("This stock take is still open; finish it first."),
            Self::NotForLoan { barcode, collection_type } => {
                write!(f, "Copy {barcode} is {collection_type}: read in the library, not lent.")
            }
            Self::TypeLimit { collection_type, max } => write!(
                f,
                "The member has reached the limit of {max} {collection_type} {} on loan.",
                if *max == 1 { "item" } else { "items" }
            ),
            Self::TypeInUse => f.write_str("Books or copies are of this collection type; change them first."),
            Self::NoCurrentTerm => f.write_str(
                "This loan is due at the end of the term, and no term in the calendar contains today; add the term first.",
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// Checks the rules that apply to both borrowing and renewing: block, expiry, fines.
fn check_standing(policy: &LoanPolicy, m: &MemberStanding, today: NaiveDate) -> Result<(), Refusal> {
    if m.blocked {
        return Err(Refusal::Blocked { reason: m.blocked_reason.clone().unwrap_or_default() });
    }
    if let Some(on) = m.expires_on.filter(|&on| on < today) {
        return Err(Refusal::Expired { on });
    }
    let owed = m.fines_owed();
    if policy.fine_limit > 0 && owed >= policy.fine_limit {
        return Err(Refusal::FinesOwed { owed, limit: policy.fine_limit });
    }
    Ok(())
}

/// Whether an overdue loan stops borrowing and renewing `today`: a loan due on `since` blocks
/// once more than `overdue_grace_days` days have passed since it fell overdue (the day after `since`).
pub fn overdue_blocks(policy: &LoanPolicy, overdue_since: Option<NaiveDate>, today: NaiveDate) -> Result<(), Refusal> {
    let Some(since) = overdue_since.filter(|&d| d < today) else { return Ok(()) };
    let days_late = (today - since).num_days();
    if days_late > policy.overdue_grace_days.max(0) {
        return Err(Refusal::OverdueLoans { since });
    }
    Ok(())
}

/// Whether member `m` may take out another loan `today`.
///
/// Checked in order: blocked, expired (`expires_on < today`), fines owed (including fines
/// accruing on loans still out), an overdue loan beyond the grace days, loan limit.
pub fn may_borrow(policy: &LoanPolicy, m: &MemberStanding, today: NaiveDate) -> Result<(), Refusal> {
    check_standing(policy, m, today)?;
    overdue_blocks(policy, m.overdue_since, today)?;
    if m.active_loans >= policy.max_loans {
        return Err(Refusal::LoanLimit { max: policy.max_loans });
    }
    Ok(())
}

/// Whether member `m` may renew a loan renewed `renewals` times so far and due on `due`.
///
/// Checked in order: blocked, expired, fines owed, this loan overdue (`due < today`), another
/// loan overdue beyond the grace days, renewal limit, held for others. The loan limit does not
/// apply: the item is already out.
pub fn may_renew(
    policy: &LoanPolicy,
    m: &MemberStanding,
    renewals: i64,
    due: NaiveDate,
    today: NaiveDate,
    others_waiting: bool,
) -> Result<(), Refusal> {
    check_standing(policy, m, today)?;
    if due < today {
        return Err(Refusal::Overdue { due });
    }
    overdue_blocks(policy, m.overdue_since, today)?;
    if renewals >= policy.max_renewals {
        return Err(Refusal::RenewLimit { max: policy.max_renewals });
    }
    if others_waiting {
        return Err(Refusal::HeldForOthers);
    }
    Ok(())
}

/// A copy as the desk sees it when it is scanned for a loan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyAtDesk<'a> {
    /// Its barcode (for the refusal's sentence).
    pub barcode: &'a str,
    /// Its status.
    pub status: CopyStatus,
    /// For a copy on the hold shelf: the member whose ready hold it waits for.
    pub held_for: Option<i64>,
}

/// Whether `copy` may be lent to member `member_id`. Lending a copy from the hold shelf to the
/// member it waits for fills their hold; anyone else is refused.
pub fn may_lend(copy: &CopyAtDesk<'_>, member_id: i64) -> Result<(), Refusal> {
    let barcode = copy.barcode.to_owned();
    match copy.status {
        CopyStatus::Available => Ok(()),
        CopyStatus::OnHoldShelf if copy.held_for == Some(member_id) => Ok(()),
        CopyStatus::OnHoldShelf => Err(Refusal::CopyHeldForOther { barcode }),
        CopyStatus::OnLoan => Err(Refusal::CopyOnLoan { barcode }),
        status @ (CopyStatus::Lost | CopyStatus::Withdrawn) => Err(Refusal::CopyUnavailable { barcode, status }),
    }
}

/// Where a copy goes when it comes free: to the first member waiting for its book, or back on the shelf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyGoesTo<H> {
    /// Back on the shelf, available.
    Shelf,
    /// Onto the hold shelf for this hold.
    HoldShelf(H),
}

impl<H> CopyGoesTo<H> {
    /// The copy's status afterwards.
    pub fn status(&self) -> CopyStatus {
        match self {
            Self::Shelf => CopyStatus::Available,
            Self::HoldShelf(_) => CopyStatus::OnHoldShelf,
        }
    }
}

/// A free copy goes to `first_waiting` (the oldest waiting hold on its book), if any.
pub fn copy_goes_to<H>(first_waiting: Option<H>) -> CopyGoesTo<H> {
    first_waiting.map_or(CopyGoesTo::Shelf, CopyGoesTo::HoldShelf)
}

/// What is known of a loan when it is renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoanTerms {
    /// Whether it was returned.
    pub returned: bool,
    /// Renewals so far.
    pub renewals: i64,
    /// The day it is due.
    pub due: NaiveDate,
}

/// Whether a loan may be renewed `today`, and if so its new due day (from the current due day:
/// renewing early gains nothing), moved to an open day of `cal`.
pub fn renewal(
    policy: &LoanPolicy,
    cal: &Calendar,
    m: &MemberStanding,
    loan: LoanTerms,
    today: NaiveDate,
    others_waiting: bool,
) -> Result<NaiveDate, Refusal> {
    if loan.returned {
        return Err(Refusal::AlreadyReturned);
    }
    may_renew(policy, m, loan.renewals, loan.due, today, others_waiting)?;
    Ok(policy.due_date(cal, loan.due.max(today)))
}

/// What the store found about a member and a book when a hold is asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HoldContext {
    /// The member already has a waiting or ready hold on the book.
    pub has_open_hold: bool,
    /// The member has a copy of the book on loan.
    pub has_copy_on_loan: bool,
    /// A copy of the book is available on the shelf.
    pub copy_on_shelf: bool,
}

/// Whether member `m` may join the queue for a book. The loan limit does not stop a hold;
/// blocks, expiry and fines do, and so do a hold or loan of the same book, or a copy on the shelf.
pub fn may_place_hold(
    policy: &LoanPolicy,
    m: &MemberStanding,
    today: NaiveDate,
    ctx: HoldContext,
) -> Result<(), Refusal> {
    check_standing(policy, m, today)?;
    if ctx.has_open_hold {
        return Err(Refusal::HoldExists);
    }
    if ctx.has_copy_on_loan {
        return Err(Refusal::AlreadyBorrowed);
    }
    if ctx.copy_on_shelf {
        return Err(Refusal::CopyOnShelf);
    }
    Ok(())
}

/// Whether a hold in `status` may be cancelled or expired (only open holds may).
pub fn may_end_hold(status: HoldStatus) -> Result<(), Refusal> {
    match status {
        HoldStatus::Waiting | HoldStatus::Ready => Ok(()),
        status => Err(Refusal::HoldClosed { status }),
    }
}

/// Whether a ready hold with pickup day `pickup_by` has run out `today`.
pub fn hold_expired(status: HoldStatus, pickup_by: Option<NaiveDate>, today: NaiveDate) -> bool {
    status == HoldStatus::Ready && pickup_by.is_some_and(|d| d < today)
}

/// Whether a loan due at `due_at` and not returned is overdue at `now`.
pub fn is_overdue(returned: bool, due_at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> bool {
    !returned && due_at < now
}

/// Whether a fine in `status` may be paid or waived (a fine is settled once).
pub fn may_settle_fine(status: FineStatus) -> Result<(), Refusal> {
    match status {
        FineStatus::Unpaid => Ok(()),
        status => Err(Refusal::FineSettled { status }),
    }
}

/// The statuses staff may set by hand; loans and holds set the rest.
pub fn settable_by_hand(to: CopyStatus) -> bool {
    matches!(to, CopyStatus::Available | CopyStatus::Lost | CopyStatus::Withdrawn)
}

/// Whether staff may set a copy's status by hand now: not while it is lent or on the hold shelf.
/// (Whether `to` itself may be set by hand is [`settable_by_hand`], an input check.)
pub fn may_change_copy_status(barcode: &str, from: CopyStatus) -> Result<(), Refusal> {
    match from {
        CopyStatus::OnLoan | CopyStatus::OnHoldShelf => {
            Err(Refusal::CopyInCirculation { barcode: barcode.to_owned(), status: from })
        }
        _ => Ok(()),
    }
}

/// Whether a copy may be deleted: never lent, and not waiting on the hold shelf.
pub fn may_delete_copy(barcode: &str, status: CopyStatus, ever_lent: bool) -> Result<(), Refusal> {
    if ever_lent {
        return Err(Refusal::HasHistory(Record::Copy));
    }
    if status == CopyStatus::OnHoldShelf {
        return Err(Refusal::CopyInCirculation { barcode: barcode.to_owned(), status });
    }
    Ok(())
}

/// Whether a book or member may be deleted: only without loan (or fine) history.
pub fn may_delete(record: Record, has_history: bool) -> Result<(), Refusal> {
    if has_history {
        Err(Refusal::HasHistory(record))
    } else {
        Ok(())
    }
}

/// Whether a category may be deleted: only with no member in it.
pub fn may_delete_category(members_in_it: bool) -> Result<(), Refusal> {
    if members_in_it {
        Err(Refusal::CategoryInUse)
    } else {
        Ok(())
    }
}

/// Whether an admin account may be deleted or demoted: not the last one.
pub fn may_remove_admin(other_admins: i64) -> Result<(), Refusal> {
    if other_admins > 0 {
        Ok(())
    } else {
        Err(Refusal::LastAdmin)
    }
}

/// Fine in rupiah for a loan due on `due` and returned on `returned`.
///
/// Charges `fine_per_day` for each open day after `due` up to and including `returned`
/// (days the library is closed are free), capped at `max_fine_per_loan` when that is
/// positive. Never negative, even for an unvalidated policy.
pub fn overdue_fine(cal: &Calendar, policy: &LoanPolicy, due: NaiveDate, returned: NaiveDate) -> i64 {
    let late_days = cal.open_days_between(due, returned);
    let fine = late_days.saturating_mul(policy.fine_per_day).max(0);
    if policy.max_fine_per_loan > 0 {
        fine.min(policy.max_fine_per_loan)
    } else {
        fine
    }
}

/// The fine accruing on a loan still out and due on `due`: what returning it `today` would charge,
/// by the same calendar and cap as [`overdue_fine`].
pub fn accruing_fine(cal: &Calendar, policy: &LoanPolicy, due: NaiveDate, today: NaiveDate) -> i64 {
    overdue_fine(cal, policy, due, today)
}

/// The overdue part of a member's standing from the due days of their loans still out: the
/// earliest due day that has passed (`None` when none has) and the fines accruing on them all.
pub fn overdue_standing(
    cal: &Calendar,
    policy: &LoanPolicy,
    due_days: impl IntoIterator<Item = NaiveDate>,
    today: NaiveDate,
) -> (Option<NaiveDate>, i64) {
    let late: Vec<NaiveDate> = due_days.into_iter().filter(|&d| d < today).collect();
    let since = late.iter().copied().min();
    (since, total_money(late.into_iter().map(|due| accruing_fine(cal, policy, due, today))))
}

/// The charge for a lost copy: its price when it has one, else the category's lost charge.
pub fn lost_charge(policy: &LoanPolicy, price: Option<i64>) -> i64 {
    price.filter(|&p| p > 0).unwrap_or(policy.lost_charge).clamp(0, MAX_MONEY)
}

/// The charge for a copy returned damaged: the category's damage charge, never more than the
/// copy's price when it has one.
pub fn damage_charge(policy: &LoanPolicy, price: Option<i64>) -> i64 {
    let charge = policy.damage_charge.clamp(0, MAX_MONEY);
    match price.filter(|&p| p > 0) {
        Some(p) => charge.min(p),
        None => charge,
    }
}

/// Checks a copy's price: whole rupiah, 0 to [`MAX_MONEY`].
pub fn check_price(price: i64) -> Result<i64, ValidationError> {
    if (0..=MAX_MONEY).contains(&price) {
        Ok(price)
    } else {
        Err(ValidationError::out_of_range("Price", 0, MAX_MONEY))
    }
}

/// How much of a fine with `outstanding` rupiah left to pay a payment of `asked` settles
/// (`None`: all of it). A payment is at least Rp 1 and never more than is owed.
pub fn payment_amount(outstanding: i64, asked: Option<i64>) -> Result<i64, ValidationError> {
    let amount = asked.unwrap_or(outstanding);
    if amount < 1 {
        return Err(ValidationError::out_of_range("Amount", 1, format_rupiah(outstanding.max(1))));
    }
    if amount > outstanding {
        return Err(ValidationError::new(
            "overpayment",
            format!(
                "Amount {} is more than the {} still owed on this fine.",
                format_rupiah(amount),
                format_rupiah(outstanding)
            ),
        ));
    }
    Ok(amount)
}

/// The sum of some amounts of rupiah, saturating at the bounds of `i64` instead of overflowing
/// (fines stored before [`MAX_MONEY`] may be as large as an `i64` holds).
pub fn total_money(amounts: impl IntoIterator<Item = i64>) -> i64 {
    amounts.into_iter().fold(0, i64::saturating_add)
}

/// Formats rupiah the Indonesian way: `"Rp 1.250.000"`, `"Rp 0"`, `"-Rp 5.000"`.
pub fn format_rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}Rp {grouped}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Days, Weekday};
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn policy() -> LoanPolicy {
        LoanPolicy {
            max_loans: 3,
            loan_days: 14,
            max_renewals: 2,
            fine_per_day: 1_000,
            max_fine_per_loan: 0,
            fine_limit: 10_000,
            hold_pickup_days: 3,
            overdue_grace_days: 0,
            lost_charge: 50_000,
            damage_charge: 10_000,
        }
        .validate()
        .unwrap()
    }

    fn weekend_closed() -> Calendar {
        Calendar::new([Weekday::Sat, Weekday::Sun], [])
    }

    fn good_member() -> MemberStanding {
        MemberStanding { expires_on: Some(date(2025, 12, 31)), ..MemberStanding::default() }
    }

    /// Monday 3 March 2025.
    const TODAY: NaiveDate = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();

    #[test]
    fn validate_checks_ranges() {
        assert!(policy().validate().is_ok());
        let bad = [
            LoanPolicy { max_loans: -1, ..policy() },
            LoanPolicy { max_loans: 101, ..policy() },
            LoanPolicy { loan_days: 0, ..policy() },
            LoanPolicy { loan_days: 366, ..policy() },
            LoanPolicy { max_renewals: 21, ..policy() },
            LoanPolicy { fine_per_day: -1, ..policy() },
            LoanPolicy { max_fine_per_loan: -5, ..policy() },
            LoanPolicy { fine_limit: -1, ..policy() },
            LoanPolicy { hold_pickup_days: 0, ..policy() },
            LoanPolicy { hold_pickup_days: 61, ..policy() },
        ];
        for p in bad {
            assert_eq!(p.validate().unwrap_err().code, "out_of_range", "{p:?}");
        }
        let e = LoanPolicy { loan_days: 0, ..policy() }.validate().unwrap_err();
        assert_eq!(e.message, "Loan period (days) must be between 1 and 365.");
        let e = LoanPolicy { fine_limit: -1, ..policy() }.validate().unwrap_err();
        assert_eq!(e.message, "Fine limit must be between 0 and 10000000.");
    }

    #[test]
    fn money_is_bounded() {
        let top =
            LoanPolicy { fine_per_day: MAX_MONEY, max_fine_per_loan: MAX_MONEY, fine_limit: MAX_MONEY, ..policy() };
        assert_eq!(top.validate(), Ok(top));
        for over in [MAX_MONEY + 1, i64::MAX] {
            for p in [
                LoanPolicy { fine_per_day: over, ..policy() },
                LoanPolicy { max_fine_per_loan: over, ..policy() },
                LoanPolicy { fine_limit: over, ..policy() },
            ] {
                assert_eq!(p.validate().unwrap_err().code, "out_of_range", "{p:?}");
            }
        }
        let e = LoanPolicy { fine_per_day: i64::MAX, ..policy() }.validate().unwrap_err();
        assert_eq!(e.message, "Fine per day must be between 0 and 10000000.");
    }

    #[test]
    fn rules_stored_before_the_ceiling_are_read_within_it() {
        let old = LoanPolicy { fine_per_day: i64::MAX, max_fine_per_loan: -3, fine_limit: MAX_MONEY + 1, ..policy() };
        let read = old.clamp_money();
        assert_eq!((read.fine_per_day, read.max_fine_per_loan, read.fine_limit), (MAX_MONEY, 0, MAX_MONEY));
        assert_eq!(read.validate(), Ok(read));
        assert_eq!(LoanPolicy { loan_days: 7, ..read }.loan_days, 7, "the other rules are left as they are");
        assert_eq!(policy().clamp_money(), policy());
    }

    #[test]
    fn money_totals_saturate() {
        assert_eq!(total_money([]), 0);
        assert_eq!(total_money([500, 1_000, 2_500]), 4_000);
        assert_eq!(total_money([i64::MAX, i64::MAX]), i64::MAX);
        assert_eq!(total_money([i64::MAX, 1, -1]), i64::MAX - 1);
    }

    #[test]
    fn policy_dates_use_the_calendar() {
        // Friday 7 March 2025 + 14 days = Friday 21 March (open).
        assert_eq!(policy().due_date(&weekend_closed(), date(2025, 3, 7)), date(2025, 3, 21));
        // Ready Thursday 6 March + 3 = Sunday 9 March -> Monday 10 March.
        assert_eq!(policy().hold_pickup_deadline(&weekend_closed(), date(2025, 3, 6)), date(2025, 3, 10));
    }

    #[test]
    fn borrowing_checks_in_order() {
        let p = policy();
        assert_eq!(may_borrow(&p, &good_member(), TODAY), Ok(()));

        let everything_wrong = MemberStanding {
            blocked: true,
            blocked_reason: Some("Lost three books".into()),
            expires_on: Some(date(2025, 3, 2)),
            active_loans: 3,
            unpaid_fines: 10_000,
            ..MemberStanding::default()
        };
        let refusal = may_borrow(&p, &everything_wrong, TODAY).unwrap_err();
        assert_eq!(refusal, Refusal::Blocked { reason: "Lost three books".into() });
        assert_eq!(refusal.to_string(), "The member is blocked from borrowing: Lost three books.");

        let m = MemberStanding { blocked: false, ..everything_wrong };
        let refusal = may_borrow(&p, &m, TODAY).unwrap_err();
        assert_eq!(refusal, Refusal::Expired { on: date(2025, 3, 2) });
        assert_eq!(refusal.to_string(), "The membership expired on 2025-03-02.");

        let m = MemberStanding { expires_on: Some(TODAY), ..m };
        let refusal = may_borrow(&p, &m, TODAY).unwrap_err();
        assert_eq!(refusal, Refusal::FinesOwed { owed: 10_000, limit: 10_000 });
        assert_eq!(
            refusal.to_string(),
            "The member owes Rp 10.000 in unpaid fines; borrowing is blocked from Rp 10.000."
        );

        let m = MemberStanding { unpaid_fines: 9_999, ..m };
        let refusal = may_borrow(&p, &m, TODAY).unwrap_err();
        assert_eq!(refusal, Refusal::LoanLimit { max: 3 });
        assert_eq!(refusal.to_string(), "The member has reached the limit of 3 items on loan.");

        let m = MemberStanding { active_loans: 2, expires_on: None, ..m };
        assert_eq!(may_borrow(&p, &m, TODAY), Ok(()));
    }

    #[test]
    fn an_overdue_loan_blocks_borrowing_and_renewing_after_the_grace() {
        let p = policy();
        let late = MemberStanding { overdue_since: Some(date(2025, 3, 2)), ..good_member() };
        // Due yesterday (TODAY is 2025-03-03): one day late, no grace.
        let refusal = may_borrow(&p, &late, TODAY).unwrap_err();
        assert_eq!(refusal, Refusal::OverdueLoans { since: date(2025, 3, 2) });
        assert_eq!(
            refusal.to_string(),
            "The member has a loan overdue since 2025-03-02; return it before borrowing or renewing."
        );
        // Renewing another loan, not itself overdue, is refused the same way.
        assert_eq!(
            may_renew(&p, &late, 0, date(2025, 3, 10), TODAY, false),
            Err(Refusal::OverdueLoans { since: date(2025, 3, 2) })
        );
        // Due today is not overdue.
        let due_today = MemberStanding { overdue_since: Some(TODAY), ..good_member() };
        assert_eq!(may_borrow(&p, &due_today, TODAY), Ok(()));
        // Two days of grace: one and two days late pass, three do not.
        let grace = LoanPolicy { overdue_grace_days: 2, ..p };
        assert_eq!(may_borrow(&grace, &late, TODAY), Ok(()));
        let two = MemberStanding { overdue_since: Some(date(2025, 3, 1)), ..good_member() };
        assert_eq!(may_borrow(&grace, &two, TODAY), Ok(()));
        let three = MemberStanding { overdue_since: Some(date(2025, 2, 28)), ..good_member() };
        assert_eq!(may_borrow(&grace, &three, TODAY), Err(Refusal::OverdueLoans { since: date(2025, 2, 28) }));
        // Fines come before the overdue check, the loan limit after it.
        let both = MemberStanding { unpaid_fines: 20_000, active_loans: 3, ..three.clone() };
        assert!(matches!(may_borrow(&grace, &both, TODAY), Err(Refusal::FinesOwed { .. })));
        let full = MemberStanding { active_loans: 3, ..three };
        assert!(matches!(may_borrow(&grace, &full, TODAY), Err(Refusal::OverdueLoans { .. })));
        // Holds are not stopped by an overdue loan.
        assert_eq!(may_place_hold(&p, &late, TODAY, HoldContext::default()), Ok(()));
        // The grace is bounded like the other rules.
        assert!(LoanPolicy { overdue_grace_days: -1, ..p }.validate().is_err());
        assert!(LoanPolicy { overdue_grace_days: 366, ..p }.validate().is_err());
    }

    #[test]
    fn accruing_fines_count_towards_the_limit() {
        let p = policy();
        let m = MemberStanding { unpaid_fines: 6_000, accruing_fines: 4_000, ..good_member() };
        assert_eq!(may_borrow(&p, &m, TODAY), Err(Refusal::FinesOwed { owed: 10_000, limit: 10_000 }));
        let m = MemberStanding { accruing_fines: 3_999, ..m };
        assert_eq!(may_borrow(&p, &m, TODAY), Ok(()));
        let huge = MemberStanding { unpaid_fines: i64::MAX, accruing_fines: i64::MAX, ..good_member() };
        assert_eq!(huge.fines_owed(), i64::MAX);
        // Accruing like the real fine: weekends free, capped per loan.
        let cal = weekend_closed();
        let capped = LoanPolicy { max_fine_per_loan: 2_500, ..p };
        assert_eq!(accruing_fine(&cal, &p, date(2025, 3, 7), date(2025, 3, 11)), 2_000);
        assert_eq!(accruing_fine(&cal, &capped, date(2025, 3, 3), date(2025, 3, 11)), 2_500);
    }

    #[test]
    fn the_overdue_standing_sums_loans_still_out() {
        let cal = weekend_closed();
        let p = policy();
        // TODAY is Monday 2025-03-03: due Friday the 28th is one open day late (the weekend is free),
        // due Thursday the 27th two; due today and later count for nothing.
        let dues = [date(2025, 2, 28), date(2025, 2, 27), TODAY, date(2025, 3, 10)];
        assert_eq!(overdue_standing(&cal, &p, dues, TODAY), (Some(date(2025, 2, 27)), 3_000));
        assert_eq!(overdue_standing(&cal, &p, [TODAY], TODAY), (None, 0));
        assert_eq!(overdue_standing(&cal, &p, [], TODAY), (None, 0));
    }

    #[test]
    fn lost_and_damaged_charges() {
        let p = policy();
        assert_eq!(lost_charge(&p, Some(85_000)), 85_000, "the copy's price first");
        assert_eq!(lost_charge(&p, None), 50_000, "else the category's charge");
        assert_eq!(lost_charge(&p, Some(0)), 50_000, "a price of 0 is no price");
        assert_eq!(lost_charge(&LoanPolicy { lost_charge: 0, ..p }, None), 0);
        assert_eq!(damage_charge(&p, None), 10_000);
        assert_eq!(damage_charge(&p, Some(7_500)), 7_500, "never more than the copy is worth");
        assert_eq!(damage_charge(&p, Some(85_000)), 10_000);
        assert_eq!(check_price(MAX_MONEY), Ok(MAX_MONEY));
        assert_eq!(check_price(MAX_MONEY + 1).unwrap_err().code, "out_of_range");
        assert_eq!(check_price(-1).unwrap_err().code, "out_of_range");
        assert!(LoanPolicy { lost_charge: MAX_MONEY + 1, ..p }.validate().is_err());
        assert!(LoanPolicy { damage_charge: -1, ..p }.validate().is_err());
    }

    #[test]
    fn payments_are_partial_or_whole_never_more() {
        assert_eq!(payment_amount(5_000, None), Ok(5_000));
        assert_eq!(payment_amount(5_000, Some(2_000)), Ok(2_000));
        assert_eq!(payment_amount(5_000, Some(5_000)), Ok(5_000));
        assert_eq!(payment_amount(5_000, Some(5_001)).unwrap_err().code, "overpayment");
        assert_eq!(payment_amount(5_000, Some(0)).unwrap_err().code, "out_of_range");
        assert_eq!(payment_amount(5_000, Some(-3)).unwrap_err().code, "out_of_range");
        assert_eq!(payment_amount(0, None).unwrap_err().code, "out_of_range");
    }

    #[test]
    fn fine_limit_zero_never_blocks() {
        let p = LoanPolicy { fine_limit: 0, ..policy() };
        let m = MemberStanding { unpaid_fines: i64::MAX, ..good_member() };
        assert_eq!(may_borrow(&p, &m, TODAY), Ok(()));
    }

    #[test]
    fn renewing_checks_in_order() {
        let p = policy();
        let m = good_member();
        let due = date(2025, 3, 10);
        assert_eq!(may_renew(&p, &m, 0, due, TODAY, false), Ok(()));
        // The loan limit does not apply to renewals.
        let full = MemberStanding { active_loans: 3, ..m.clone() };
        assert_eq!(may_renew(&p, &full, 1, due, TODAY, false), Ok(()));
        // Due today is not overdue yet.
        assert_eq!(may_renew(&p, &m, 0, TODAY, TODAY, false), Ok(()));

        let overdue = may_renew(&p, &m, 2, date(2025, 3, 2), TODAY, true).unwrap_err();
        assert_eq!(overdue, Refusal::Overdue { due: date(2025, 3, 2) });

        let limit = may_renew(&p, &m, 2, due, TODAY, true).unwrap_err();
        assert_eq!(limit, Refusal::RenewLimit { max: 2 });
        assert_eq!(limit.to_string(), "The loan has reached the limit of 2 renewals.");

        let held = may_renew(&p, &m, 1, due, TODAY, true).unwrap_err();
        assert_eq!(held, Refusal::HeldForOthers);

        let owing = MemberStanding { unpaid_fines: 50_000, ..m };
        assert_eq!(
            may_renew(&p, &owing, 0, date(2025, 3, 2), TODAY, true).unwrap_err(),
            Refusal::FinesOwed { owed: 50_000, limit: 10_000 }
        );
        let blocked = MemberStanding { blocked: true, ..owing };
        let refusal = may_renew(&p, &blocked, 0, due, TODAY, false).unwrap_err();
        assert_eq!(refusal, Refusal::Blocked { reason: String::new() });
        assert_eq!(refusal.to_string(), "The member is blocked from borrowing.");
    }

    #[test]
    fn samples_cover_every_kind() {
        let covered: std::collections::BTreeSet<usize> = Refusal::samples().iter().map(Refusal::kind).collect();
        assert_eq!(covered, (0..Refusal::KINDS).collect(), "a kind of refusal has no sample");
    }

    #[test]
    fn refusals_are_sentences() {
        for refusal in Refusal::samples() {
            let text = refusal.to_string();
            assert!(text.ends_with('.') && text.starts_with(char::is_uppercase), "{text}");
        }
        assert_eq!(Refusal::LoanLimit { max: 1 }.to_string(), "The member has reached the limit of 1 item on loan.");
    }

    #[test]
    fn lending_looks_at_the_copy() {
        let copy = |status, held_for| CopyAtDesk { barcode: "B1", status, held_for };
        assert_eq!(may_lend(&copy(CopyStatus::Available, None), 7), Ok(()));
        assert_eq!(may_lend(&copy(CopyStatus::OnHoldShelf, Some(7)), 7), Ok(()));
        assert_eq!(
            may_lend(&copy(CopyStatus::OnHoldShelf, Some(8)), 7),
            Err(Refusal::CopyHeldForOther { barcode: "B1".into() })
        );
        assert_eq!(
            may_lend(&copy(CopyStatus::OnHoldShelf, None), 7),
            Err(Refusal::CopyHeldForOther { barcode: "B1".into() })
        );
        assert_eq!(may_lend(&copy(CopyStatus::OnLoan, None), 7), Err(Refusal::CopyOnLoan { barcode: "B1".into() }));
        for status in [CopyStatus::Lost, CopyStatus::Withdrawn] {
            assert_eq!(
                may_lend(&copy(status, None), 7),
                Err(Refusal::CopyUnavailable { barcode: "B1".into(), status })
            );
        }
    }

    #[test]
    fn a_free_copy_goes_to_the_first_waiting() {
        assert_eq!(copy_goes_to::<i64>(None), CopyGoesTo::Shelf);
        assert_eq!(copy_goes_to(None::<i64>).status(), CopyStatus::Available);
        assert_eq!(copy_goes_to(Some(4)), CopyGoesTo::HoldShelf(4));
        assert_eq!(copy_goes_to(Some(4)).status(), CopyStatus::OnHoldShelf);
    }

    #[test]
    fn renewal_extends_from_the_due_day() {
        let cal = weekend_closed();
        let p = policy();
        let m = good_member();
        let terms = LoanTerms { returned: false, renewals: 0, due: date(2025, 3, 10) };
        // Due Monday 10 March + 14 = Monday 24 March.
        assert_eq!(renewal(&p, &cal, &m, terms, TODAY, false), Ok(date(2025, 3, 24)));
        // Due today: from today.
        let terms = LoanTerms { due: TODAY, ..terms };
        assert_eq!(renewal(&p, &cal, &m, terms, TODAY, false), Ok(date(2025, 3, 17)));
        let returned = LoanTerms { returned: true, ..terms };
        assert_eq!(renewal(&p, &cal, &m, returned, TODAY, false), Err(Refusal::AlreadyReturned));
        let used_up = LoanTerms { renewals: 2, ..terms };
        assert_eq!(renewal(&p, &cal, &m, used_up, TODAY, false), Err(Refusal::RenewLimit { max: 2 }));
    }

    #[test]
    fn holds_check_standing_then_the_book() {
        let p = policy();
        let m = MemberStanding { active_loans: 3, ..good_member() };
        // A full loan allowance does not stop a hold.
        assert_eq!(may_place_hold(&p, &m, TODAY, HoldContext::default()), Ok(()));
        let all = HoldContext { has_open_hold: true, has_copy_on_loan: true, copy_on_shelf: true };
        let blocked = MemberStanding { blocked: true, ..m.clone() };
        assert_eq!(may_place_hold(&p, &blocked, TODAY, all), Err(Refusal::Blocked { reason: String::new() }));
        assert_eq!(may_place_hold(&p, &m, TODAY, all), Err(Refusal::HoldExists));
        let ctx = HoldContext { has_open_hold: false, ..all };
        assert_eq!(may_place_hold(&p, &m, TODAY, ctx), Err(Refusal::AlreadyBorrowed));
        let ctx = HoldContext { has_copy_on_loan: false, ..ctx };
        assert_eq!(may_place_hold(&p, &m, TODAY, ctx), Err(Refusal::CopyOnShelf));
    }

    #[test]
    fn holds_and_fines_close_once() {
        assert_eq!(may_end_hold(HoldStatus::Waiting), Ok(()));
        assert_eq!(may_end_hold(HoldStatus::Ready), Ok(()));
        for status in [HoldStatus::Fulfilled, HoldStatus::Cancelled, HoldStatus::Expired] {
            assert_eq!(may_end_hold(status), Err(Refusal::HoldClosed { status }));
        }
        assert_eq!(may_settle_fine(FineStatus::Unpaid), Ok(()));
        for status in [FineStatus::Paid, FineStatus::Waived] {
            assert_eq!(may_settle_fine(status), Err(Refusal::FineSettled { status }));
        }
        assert!(hold_expired(HoldStatus::Ready, Some(date(2025, 3, 2)), TODAY));
        assert!(!hold_expired(HoldStatus::Ready, Some(TODAY), TODAY));
        assert!(!hold_expired(HoldStatus::Waiting, Some(date(2025, 3, 2)), TODAY));
    }

    #[test]
    fn copies_and_records_are_kept_while_in_use() {
        assert!(settable_by_hand(CopyStatus::Lost) && !settable_by_hand(CopyStatus::OnLoan));
        assert_eq!(may_change_copy_status("B1", CopyStatus::Available), Ok(()));
        assert_eq!(
            may_change_copy_status("B1", CopyStatus::OnHoldShelf),
            Err(Refusal::CopyInCirculation { barcode: "B1".into(), status: CopyStatus::OnHoldShelf })
        );
        assert_eq!(may_delete_copy("B1", CopyStatus::Available, false), Ok(()));
        assert_eq!(may_delete_copy("B1", CopyStatus::OnHoldShelf, true), Err(Refusal::HasHistory(Record::Copy)));
        assert!(may_delete_copy("B1", CopyStatus::OnHoldShelf, false).is_err());
        assert_eq!(may_delete(Record::Member, true), Err(Refusal::HasHistory(Record::Member)));
        assert_eq!(may_delete(Record::Book, false), Ok(()));
        assert_eq!(may_delete_category(true), Err(Refusal::CategoryInUse));
        assert_eq!(may_remove_admin(0), Err(Refusal::LastAdmin));
        assert_eq!(may_remove_admin(1), Ok(()));
    }

    #[test]
    fn weekend_is_not_charged() {
        let cal = weekend_closed();
        let p = policy();
        let friday = date(2025, 3, 7);
        assert_eq!(overdue_fine(&cal, &p, friday, friday), 0);
        assert_eq!(overdue_fine(&cal, &p, friday, date(2025, 3, 1)), 0);
        assert_eq!(overdue_fine(&cal, &p, friday, date(2025, 3, 8)), 0); // Saturday
        assert_eq!(overdue_fine(&cal, &p, friday, date(2025, 3, 9)), 0); // Sunday
        assert_eq!(overdue_fine(&cal, &p, friday, date(2025, 3, 10)), 1_000); // Monday
        assert_eq!(overdue_fine(&cal, &p, friday, date(2025, 3, 14)), 5_000); // next Friday
                                                                              // A public holiday on the Monday is free too.
        let cal = Calendar::new([Weekday::Sat, Weekday::Sun], [date(2025, 3, 10)]);
        assert_eq!(overdue_fine(&cal, &p, friday, date(2025, 3, 10)), 0);
        assert_eq!(overdue_fine(&cal, &p, friday, date(2025, 3, 11)), 1_000);
    }

    #[test]
    fn fine_is_capped() {
        let cal = Calendar::default();
        let p = LoanPolicy { max_fine_per_loan: 25_000, ..policy() };
        let due = date(2025, 1, 1);
        assert_eq!(overdue_fine(&cal, &p, due, date(2025, 1, 20)), 19_000);
        assert_eq!(overdue_fine(&cal, &p, due, date(2025, 12, 31)), 25_000);
        let uncapped = LoanPolicy { max_fine_per_loan: 0, ..p };
        assert_eq!(overdue_fine(&cal, &uncapped, due, date(2025, 12, 31)), 364_000);
        // Huge values saturate instead of overflowing.
        let absurd = LoanPolicy { fine_per_day: i64::MAX, ..uncapped };
        assert_eq!(overdue_fine(&cal, &absurd, due, date(2025, 1, 3)), i64::MAX);
    }

    #[test]
    fn formats_rupiah() {
        assert_eq!(format_rupiah(0), "Rp 0");
        assert_eq!(format_rupiah(500), "Rp 500");
        assert_eq!(format_rupiah(5_000), "Rp 5.000");
        assert_eq!(format_rupiah(-5_000), "-Rp 5.000");
        assert_eq!(format_rupiah(100_000), "Rp 100.000");
        assert_eq!(format_rupiah(1_250_000), "Rp 1.250.000");
        assert_eq!(format_rupiah(i64::MIN), "-Rp 9.223.372.036.854.775.808");
    }

    fn any_policy() -> impl Strategy<Value = LoanPolicy> {
        (0i64..50_000, prop_oneof![Just(0i64), 1i64..1_000_000]).prop_map(|(fine, cap)| LoanPolicy {
            fine_per_day: fine,
            max_fine_per_loan: cap,
            ..policy()
        })
    }

    fn any_calendar() -> impl Strategy<Value = Calendar> {
        (
            proptest::collection::vec((0u8..7).prop_map(|n| Weekday::try_from(n).unwrap()), 0..8),
            proptest::collection::vec(any_day(), 0..50),
        )
            .prop_map(|(w, d)| Calendar::new(w, d))
    }

    fn any_day() -> impl Strategy<Value = NaiveDate> {
        (0u64..1_000).prop_map(|n| date(2024, 1, 1) + Days::new(n))
    }

    proptest! {
        #[test]
        fn fine_properties(
            cal in any_calendar(),
            p in any_policy(),
            due in any_day(),
            r1 in any_day(),
            r2 in any_day(),
        ) {
            let (early, late) = if r1 <= r2 { (r1, r2) } else { (r2, r1) };
            let f_early = overdue_fine(&cal, &p, due, early);
            let f_late = overdue_fine(&cal, &p, due, late);
            prop_assert!(f_early >= 0);
            prop_assert!(f_early <= f_late, "fine must not shrink with a later return");
            if p.max_fine_per_loan > 0 {
                prop_assert!(f_late <= p.max_fine_per_loan);
            }
            if early <= due {
                prop_assert_eq!(f_early, 0);
            }
            if p.fine_per_day > 0 && f_late != p.max_fine_per_loan {
                prop_assert_eq!(f_late % p.fine_per_day, 0, "uncapped fines are whole days");
            }
        }

        #[test]
        fn rules_read_back_validate_and_their_fines_add_up_exactly(
            fine in any::<i64>(),
            cap in any::<i64>(),
            limit in any::<i64>(),
            late in 0u64..36_500,
            n in 0usize..1_000,
        ) {
            let p = LoanPolicy { fine_per_day: fine, max_fine_per_loan: cap, fine_limit: limit, ..policy() }.clamp_money();
            prop_assert_eq!(p.validate(), Ok(p));
            // Up to a century late at the highest rate, a thousand such fines: the total is exact.
            let due = date(2025, 1, 1);
            let f = overdue_fine(&Calendar::default(), &p, due, due + chrono::Days::new(late));
            prop_assert!((0..=36_500 * MAX_MONEY).contains(&f));
            let total = total_money(std::iter::repeat_n(f, n));
            prop_assert_eq!(i128::from(total), i128::from(f) * n as i128);
        }

        #[test]
        fn totals_saturate_and_never_wrap(amounts in proptest::collection::vec(0i64..=i64::MAX, 0..20)) {
            let exact: i128 = amounts.iter().map(|&a| i128::from(a)).sum();
            prop_assert_eq!(i128::from(total_money(amounts)), exact.min(i128::from(i64::MAX)));
        }

        #[test]
        fn rupiah_round_trips(amount in any::<i64>()) {
            let s = format_rupiah(amount);
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            prop_assert_eq!(digits, amount.unsigned_abs().to_string());
            prop_assert_eq!(s.starts_with('-'), amount < 0);
            let grouped = s.trim_start_matches('-').trim_start_matches("Rp ");
            let groups: Vec<&str> = grouped.split('.').collect();
            prop_assert!(groups[0].len() <= 3 && !groups[0].is_empty());
            prop_assert!(groups[1..].iter().all(|g| g.len() == 3));
        }

        #[test]
        fn only_an_available_copy_or_ones_own_hold_is_lent(status in 0usize..5, held in proptest::option::of(0i64..3), member in 0i64..3) {
            let status = [CopyStatus::Available, CopyStatus::OnLoan, CopyStatus::OnHoldShelf, CopyStatus::Lost, CopyStatus::Withdrawn][status];
            let ok = may_lend(&CopyAtDesk { barcode: "B", status, held_for: held }, member).is_ok();
            prop_assert_eq!(ok, status == CopyStatus::Available || (status == CopyStatus::OnHoldShelf && held == Some(member)));
        }

        #[test]
        fn a_renewal_never_shortens_a_loan(due in any_day(), today in any_day(), cal in any_calendar()) {
            let terms = LoanTerms { returned: false, renewals: 0, due };
            if let Ok(new_due) = renewal(&policy(), &cal, &good_member(), terms, today, false) {
                prop_assert!(new_due > due && new_due >= today);
            }
        }


        #[test]
        fn payments_never_leave_a_fine_below_zero(owed in 0i64..=MAX_MONEY, asked in proptest::option::of(any::<i64>())) {
            if let Ok(paid) = payment_amount(owed, asked) {
                prop_assert!(paid >= 1 && paid <= owed);
                prop_assert_eq!(asked.is_none() || asked == Some(paid), true);
            } else {
                prop_assert!(owed == 0 || asked.is_some_and(|a| a < 1 || a > owed));
            }
        }

        #[test]
        fn charges_stay_within_money(price in proptest::option::of(any::<i64>()), lost in any::<i64>(), damage in any::<i64>()) {
            let p = LoanPolicy { lost_charge: lost, damage_charge: damage, ..policy() };
            prop_assert!((0..=MAX_MONEY).contains(&lost_charge(&p, price)));
            let d = damage_charge(&p, price);
            prop_assert!((0..=MAX_MONEY).contains(&d));
            if let Some(price) = price.filter(|&p| p > 0) {
                prop_assert!(d <= price);
            }
        }

        #[test]
        fn the_grace_only_ever_lets_more_through(since in any_day(), today in any_day(), grace in 0i64..365) {
            let strict = overdue_blocks(&policy(), Some(since), today);
            let relaxed = overdue_blocks(&LoanPolicy { overdue_grace_days: grace, ..policy() }, Some(since), today);
            prop_assert!(strict.is_err() || relaxed.is_ok());
            prop_assert_eq!(strict.is_err(), since < today);
            prop_assert_eq!(relaxed.is_err(), (today - since).num_days() > grace);
        }

        #[test]
        fn renewal_ignores_loan_count(active in 0i64..1_000, renewals in 0i64..2) {
            let m = MemberStanding { active_loans: active, ..good_member() };
            prop_assert_eq!(may_renew(&policy(), &m, renewals, TODAY, TODAY, false), Ok(()));
        }
    }
}
