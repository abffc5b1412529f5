//! Loan rules as a matrix, member category × collection type (issue #30), as SLiMS and Koha keep
//! them: a novel for 7 days, a magazine for 3, a dictionary never.
//!
//! The member's category holds the default row (its [`LoanPolicy`]); a matrix row changes what it
//! names for copies of one collection type, and leaves the rest to the category. No row — and a
//! copy without a collection type — lends exactly as the category alone did.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use super::circulation::{may_borrow, overdue_fine, total_money, LoanPolicy, MemberStanding, Refusal, MAX_MONEY};
use super::validation::ValidationError;

/// A collection type as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionKind {
    /// Its stable code, e.g. `referensi`.
    pub code: String,
    /// Its name, e.g. `Referensi` (for the refusal's sentence).
    pub name: String,
    /// `false` for a type read in the library only (reference books): no rule lends it.
    pub loanable: bool,
}

/// One row of the matrix: how members of one category borrow copies of one collection type.
/// `None` takes the category's own rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoanRule {
    /// `false`: in-library use only ("baca di tempat") for this category.
    pub lendable: bool,
    /// Length of a loan or renewal in days (1–365); none = the category's.
    pub loan_days: Option<i64>,
    /// Most loans of this collection type at once (0–100); none = only the category's total limit.
    /// Never lets a member past the category's total.
    pub max_loans: Option<i64>,
    /// How many times a loan of this type may be renewed (0–20); none = the category's.
    pub max_renewals: Option<i64>,
    /// Fine in rupiah per open day late (0–10.000.000); none = the category's.
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub fine_per_day: Option<i64>,
    /// Open days a loan of this type may be late without a fine (0–365), as SLiMS's grace
    /// period: returned within them, nothing is charged; later, every late day is.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 365)]
    pub fine_grace_days: i64,
    /// Due at the end of the term (semester) containing the day of the loan or renewal, instead
    /// of after `loan_days`: textbooks lent for the semester. No term then: refused.
    #[serde(default)]
    pub due_end_of_term: bool,
}

impl LoanRule {
    /// Checks every field is in range, returning the rule unchanged if so.
    pub fn validate(self) -> Result<Self, ValidationError> {
        let checks: [(&str, Option<i64>, i64, i64); 5] = [
            ("Loan period (days)", self.loan_days, 1, 365),
            ("Maximum loans of the type", self.max_loans, 0, 100),
            ("Maximum renewals", self.max_renewals, 0, 20),
            ("Fine per day", self.fine_per_day, 0, MAX_MONEY),
            ("Fine grace (days)", Some(self.fine_grace_days), 0, 365),
        ];
        for (field, value, min, max) in checks {
            if let Some(v) = value {
                if !(min..=max).contains(&v) {
                    return Err(ValidationError::out_of_range(field, min, max));
                }
            }
        }
        Ok(self)
    }
}

/// The rule that applies to one loan: the category's policy with the matrix row's changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveRule {
    /// The category's policy with the row's loan days, renewals and fine per day put in.
    pub policy: LoanPolicy,
    /// Whether the copy may be lent at all.
    pub lendable: bool,
    /// Most loans of this type at once, when the row sets one.
    pub max_of_type: Option<i64>,
    /// Open days late without a fine.
    pub fine_grace_days: i64,
    /// Due at the end of the current term.
    pub due_end_of_term: bool,
}

impl EffectiveRule {
    /// Due date of a loan (or renewal) starting on `day`, moved to an open day: `loan_days`
    /// later, or for a rule due at the end of the term, the last day of `term_end` (the end of the
    /// term containing `day`, if any), moved to an open day as every due date is.
    pub fn due_date(&self, cal: &Calendar, day: NaiveDate, term_end: Option<NaiveDate>) -> Result<NaiveDate, Refusal> {
        if self.due_end_of_term {
            term_end.map(|end| cal.next_open_day(end.max(day))).ok_or(Refusal::NoCurrentTerm)
        } else {
            Ok(self.policy.due_date(cal, day))
        }
    }

    /// Fine for a loan due on `due` and returned on `returned`: nothing within the grace days,
    /// else [`overdue_fine`] by the effective fine per day.
    pub fn fine(&self, cal: &Calendar, due: NaiveDate, returned: NaiveDate) -> i64 {
        if cal.open_days_between(due, returned) <= self.fine_grace_days.max(0) {
            0
        } else {
            overdue_fine(cal, &self.policy, due, returned)
        }
    }
}

/// The rule for a copy of collection type `kind` (none: a copy without a type) lent to a member
/// of a category with `category`'s rules, where `row` is the matrix row for the pair, if any.
pub fn effective_rule(category: &LoanPolicy, kind: Option<&CollectionKind>, row: Option<&LoanRule>) -> EffectiveRule {
    let type_lends = kind.is_none_or(|k| k.loanable);
    let Some(row) = row.filter(|_| kind.is_some()) else {
        return EffectiveRule {
            policy: *category,
            lendable: type_lends,
            max_of_type: None,
            fine_grace_days: 0,
            due_end_of_term: false,
        };
    };
    EffectiveRule {
        policy: LoanPolicy {
            loan_days: row.loan_days.unwrap_or(category.loan_days),
            max_renewals: row.max_renewals.unwrap_or(category.max_renewals),
            fine_per_day: row.fine_per_day.unwrap_or(category.fine_per_day),
            ..*category
        },
        lendable: type_lends && row.lendable,
        max_of_type: row.max_loans,
        fine_grace_days: row.fine_grace_days.max(0),
        due_end_of_term: row.due_end_of_term,
    }
}

/// The overdue part of a member's standing when each loan still out has its own rule (by its
/// copy's collection type): the earliest due day that has passed, and the fines accruing on the
/// late loans, each by its rule ([`EffectiveRule::fine`]), as returning them `today` would charge.
pub fn overdue_standing_by_rule(
    cal: &Calendar,
    loans: impl IntoIterator<Item = (NaiveDate, EffectiveRule)>,
    today: NaiveDate,
) -> (Option<NaiveDate>, i64) {
    let late: Vec<(NaiveDate, EffectiveRule)> = loans.into_iter().filter(|(d, _)| *d < today).collect();
    let since = late.iter().map(|(d, _)| *d).min();
    (since, total_money(late.iter().map(|(due, rule)| rule.fine(cal, *due, today))))
}

/// What the desk knows when a copy is scanned for a loan.
#[derive(Debug, Clone, Copy)]
pub struct Checkout<'a> {
    /// The copy's barcode (for the refusal's sentence).
    pub barcode: &'a str,
    /// The copy's collection type (its own, else its book's), if it has one.
    pub kind: Option<&'a CollectionKind>,
    /// The matrix row for the member's category and that type, if any.
    pub row: Option<&'a LoanRule>,
    /// The member's loans still out of that same type.
    pub loans_of_type: i64,
    /// The last day of the term containing today, if a term does.
    pub term_end: Option<NaiveDate>,
}

/// Whether member `m`, of a category with `category`'s rules, may borrow the copy `c` `today`,
/// and by which rule.
///
/// Checked in order: the copy is lendable (a type read in the library only, or a row saying so,
/// refuses [`Refusal::NotForLoan`] whoever asks), then everything [`may_borrow`] checks with the
/// category's rules (block, expiry, fines, overdue loans, the total loan limit), then the row's
/// limit of loans of the type, then (for a rule due at the end of the term) that a term contains
/// today. A row never raises the total limit; with no row the answer is [`may_borrow`]'s.
/// The due date is then [`EffectiveRule::due_date`] with the same `term_end`.
pub fn may_checkout(
    category: &LoanPolicy,
    m: &MemberStanding,
    c: Checkout<'_>,
    today: NaiveDate,
) -> Result<EffectiveRule, Refusal> {
    let rule = effective_rule(category, c.kind, c.row);
    if !rule.lendable {
        let collection_type = c.kind.map(|k| k.name.clone()).unwrap_or_default();
        return Err(Refusal::NotForLoan { barcode: c.barcode.to_owned(), collection_type });
    }
    may_borrow(category, m, today)?;
    if let (Some(max), Some(kind)) = (rule.max_of_type, c.kind) {
        if c.loans_of_type >= max {
            return Err(Refusal::TypeLimit { collection_type: kind.name.clone(), max });
        }
    }
    if rule.due_end_of_term && c.term_end.is_none() {
        return Err(Refusal::NoCurrentTerm);
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;
    use proptest::prelude::*;

    fn category() -> LoanPolicy {
        LoanPolicy {
            max_loans: 3,
            loan_days: 7,
            max_renewals: 1,
            fine_per_day: 500,
            max_fine_per_loan: 0,
            fine_limit: 10_000,
            hold_pickup_days: 3,
            overdue_grace_days: 0,
            lost_charge: 0,
            damage_charge: 0,
        }
    }

    fn kind(code: &str, loanable: bool) -> CollectionKind {
        CollectionKind { code: code.into(), name: code.to_uppercase(), loanable }
    }

    fn row() -> LoanRule {
        LoanRule {
            lendable: true,
            loan_days: None,
            max_loans: None,
            max_renewals: None,
            fine_per_day: None,
            fine_grace_days: 0,
            due_end_of_term: false,
        }
    }

    /// Monday 3 March 2025.
    const TODAY: NaiveDate = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();

    fn checkout<'a>(kind: Option<&'a CollectionKind>, row: Option<&'a LoanRule>, of_type: i64) -> Checkout<'a> {
        Checkout { barcode: "B1", kind, row, loans_of_type: of_type, term_end: None }
    }

    #[test]
    fn no_row_lends_by_the_category() {
        let fiksi = kind("fiksi", true);
        let m = MemberStanding::default();
        for k in [None, Some(&fiksi)] {
            let rule = may_checkout(&category(), &m, checkout(k, None, 0), TODAY).unwrap();
            assert_eq!(rule.policy, category());
            assert_eq!(rule.max_of_type, None);
        }
    }

    #[test]
    fn a_reference_copy_is_read_in_the_library() {
        let reference = kind("referensi", false);
        let opened = LoanRule { lendable: true, loan_days: Some(30), ..row() };
        let m = MemberStanding::default();
        for r in [None, Some(&opened)] {
            let refused = may_checkout(&category(), &m, checkout(Some(&reference), r, 0), TODAY).unwrap_err();
            assert_eq!(refused, Refusal::NotForLoan { barcode: "B1".into(), collection_type: "REFERENSI".into() });
        }
        // In-library use only for this category, by the matrix.
        let fiksi = kind("fiksi", true);
        let closed = LoanRule { lendable: false, ..row() };
        assert!(matches!(
            may_checkout(&category(), &m, checkout(Some(&fiksi), Some(&closed), 0), TODAY),
            Err(Refusal::NotForLoan { .. })
        ));
        // Asked first: a blocked member is still told the copy stays in the library.
        let blocked = MemberStanding { blocked: true, ..m };
        assert!(matches!(
            may_checkout(&category(), &blocked, checkout(Some(&reference), None, 0), TODAY),
            Err(Refusal::NotForLoan { .. })
        ));
    }

    #[test]
    fn a_row_sets_days_renewals_fines_and_its_own_limit() {
        let paket = kind("paket", true);
        let r = LoanRule {
            loan_days: Some(120),
            max_renewals: Some(0),
            fine_per_day: Some(0),
            max_loans: Some(1),
            ..row()
        };
        let m = MemberStanding::default();
        let rule = may_checkout(&category(), &m, checkout(Some(&paket), Some(&r), 0), TODAY).unwrap();
        assert_eq!(rule.policy.loan_days, 120);
        assert_eq!(rule.policy.max_renewals, 0);
        assert_eq!(rule.policy.fine_per_day, 0);
        assert_eq!(rule.policy.max_loans, 3, "the total limit stays the category's");
        assert_eq!(
            may_checkout(&category(), &m, checkout(Some(&paket), Some(&r), 1), TODAY),
            Err(Refusal::TypeLimit { collection_type: "PAKET".into(), max: 1 })
        );
        // The total limit comes first, and a row's bigger limit does not raise it.
        let wide = LoanRule { max_loans: Some(50), ..r };
        let full = MemberStanding { active_loans: 3, ..m };
        assert_eq!(
            may_checkout(&category(), &full, checkout(Some(&paket), Some(&wide), 0), TODAY),
            Err(Refusal::LoanLimit { max: 3 })
        );
    }

    #[test]
    fn the_grace_days_are_free_then_every_late_day_is_fined() {
        let cal = Calendar::new([Weekday::Sun], []);
        let fiksi = kind("fiksi", true);
        let r = LoanRule { fine_per_day: Some(1_000), fine_grace_days: 2, ..row() };
        let rule = effective_rule(&category(), Some(&fiksi), Some(&r));
        let due = TODAY;
        assert_eq!(rule.fine(&cal, due, due + chrono::Days::new(2)), 0);
        assert_eq!(rule.fine(&cal, due, due + chrono::Days::new(3)), 3_000);
        // A copy without a type: the category's fine, no grace.
        let plain = effective_rule(&category(), None, Some(&r));
        assert_eq!(plain.fine(&cal, due, due + chrono::Days::new(1)), 500);
    }

    #[test]
    fn a_rule_may_lend_until_the_end_of_the_term() {
        let cal = Calendar::new([Weekday::Sat, Weekday::Sun], []);
        let paket = kind("paket", true);
        let r = LoanRule { due_end_of_term: true, ..row() };
        let m = MemberStanding::default();
        // No term contains today: refused, and nothing is lent.
        assert_eq!(
            may_checkout(&category(), &m, checkout(Some(&paket), Some(&r), 0), TODAY),
            Err(Refusal::NoCurrentTerm)
        );
        // The term ends on Saturday 21 June 2025: due the next open day, Monday the 23rd.
        let end = NaiveDate::from_ymd_opt(2025, 6, 21).unwrap();
        let c = Checkout { term_end: Some(end), ..checkout(Some(&paket), Some(&r), 0) };
        let rule = may_checkout(&category(), &m, c, TODAY).unwrap();
        assert_eq!(rule.due_date(&cal, TODAY, Some(end)), Ok(NaiveDate::from_ymd_opt(2025, 6, 23).unwrap()));
        // Other rules keep their days, term or not.
        let plain = effective_rule(&category(), Some(&paket), Some(&row()));
        assert_eq!(plain.due_date(&cal, TODAY, Some(end)), Ok(NaiveDate::from_ymd_opt(2025, 3, 10).unwrap()));
    }

    #[test]
    fn accruing_fines_follow_each_loans_rule() {
        let cal = Calendar::new([Weekday::Sun], []);
        let av = kind("av", true);
        let dear = effective_rule(&category(), Some(&av), Some(&LoanRule { fine_per_day: Some(2_000), ..row() }));
        let plain = effective_rule(&category(), None, None);
        let due = TODAY - chrono::Days::new(2); // Saturday: Monday is 1 open day late (Sunday closed)
        let (since, owed) = overdue_standing_by_rule(&cal, [(due, plain), (due, dear), (TODAY, dear)], TODAY);
        assert_eq!((since, owed), (Some(due), 500 + 2_000));
        // With every rule the category's, the same as the category's standing.
        let dues = [due, TODAY - chrono::Days::new(9)];
        assert_eq!(
            overdue_standing_by_rule(&cal, dues.map(|d| (d, plain)), TODAY),
            crate::circulation::overdue_standing(&cal, &category(), dues, TODAY)
        );
    }

    #[test]
    fn rows_are_checked() {
        assert!(row().validate().is_ok());
        assert!(LoanRule { loan_days: Some(0), ..row() }.validate().is_err());
        assert!(LoanRule { max_loans: Some(101), ..row() }.validate().is_err());
        assert!(LoanRule { max_renewals: Some(-1), ..row() }.validate().is_err());
        assert!(LoanRule { fine_per_day: Some(MAX_MONEY + 1), ..row() }.validate().is_err());
        assert!(LoanRule { fine_grace_days: 366, ..row() }.validate().is_err());
    }

    fn any_row() -> impl Strategy<Value = LoanRule> {
        (
            any::<bool>(),
            proptest::option::of(1i64..=365),
            proptest::option::of(0i64..=100),
            proptest::option::of(0i64..=20),
            proptest::option::of(0i64..=MAX_MONEY),
            0i64..=365,
            any::<bool>(),
        )
            .prop_map(
                |(lendable, loan_days, max_loans, max_renewals, fine_per_day, fine_grace_days, due_end_of_term)| {
                    LoanRule {
                        lendable,
                        loan_days,
                        max_loans,
                        max_renewals,
                        fine_per_day,
                        fine_grace_days,
                        due_end_of_term,
                    }
                },
            )
    }

    fn any_standing() -> impl Strategy<Value = MemberStanding> {
        (any::<bool>(), 0i64..20, 0i64..20_000).prop_map(|(blocked, active_loans, unpaid_fines)| MemberStanding {
            blocked,
            active_loans,
            unpaid_fines,
            ..MemberStanding::default()
        })
    }

    proptest! {
        #[test]
        fn no_rule_lets_a_member_past_the_total_limit(
            r in any_row(), m in any_standing(), of_type in 0i64..20, loanable in any::<bool>(), max in 0i64..10,
        ) {
            let cat = LoanPolicy { max_loans: max, ..category() };
            let k = kind("x", loanable);
            if may_checkout(&cat, &m, checkout(Some(&k), Some(&r), of_type.min(m.active_loans)), TODAY).is_ok() {
                prop_assert!(m.active_loans < cat.max_loans);
                prop_assert!(r.max_loans.is_none_or(|t| of_type.min(m.active_loans) < t));
            }
        }

        #[test]
        fn a_copy_read_in_the_library_is_never_lent(r in proptest::option::of(any_row()), m in any_standing()) {
            let reference = kind("referensi", false);
            let refused = may_checkout(&category(), &m, checkout(Some(&reference), r.as_ref(), 0), TODAY);
            prop_assert!(matches!(refused, Err(Refusal::NotForLoan { .. })), "lendable result");
            if let Some(r) = r.filter(|r| !r.lendable) {
                let fiksi = kind("fiksi", true);
                let refused = may_checkout(&category(), &m, checkout(Some(&fiksi), Some(&r), 0), TODAY);
                prop_assert!(matches!(refused, Err(Refusal::NotForLoan { .. })), "lendable result");
            }
        }

        #[test]
        fn no_row_is_todays_answer(m in any_standing(), of_type in 0i64..20, typed in any::<bool>()) {
            let fiksi = kind("fiksi", true);
            let k = typed.then_some(&fiksi);
            let now = may_checkout(&category(), &m, checkout(k, None, of_type), TODAY);
            prop_assert_eq!(now.map(|r| r.policy), may_borrow(&category(), &m, TODAY).map(|()| category()));
        }
    }
}
