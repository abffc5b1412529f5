//! Pure domain logic for Pustaka: validated input types, identifiers, the opening
//! calendar, time-zone handling and the loan rules. No I/O, no database, no async.

pub mod calendar;
pub mod callnumber;
pub mod card;
pub mod cell;
pub mod circulation;
pub mod isbn;
pub mod loan_rules;
pub mod names;
pub mod notices;
pub mod search;
pub mod status;
pub mod text;
pub mod time;
pub mod validation;

pub use calendar::{parse_weekdays, Calendar};
pub use card::{CardNumber, MemberNumber, MemberRef, NumberKind};
pub use circulation::{format_rupiah, may_borrow, may_renew, overdue_fine, LoanPolicy, MemberStanding, Refusal};
pub use isbn::{looks_like_isbn, Isbn};
pub use time::{end_of_day, library_date, parse_timezone};
pub use validation::*;
