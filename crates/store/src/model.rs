//! The records Pustaka returns: what the store reads and the API sends, as they appear in OpenAPI.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::domain::{
    cell::Cell,
    status::{CopyStatus, FineStatus, HoldStatus, Permission, Permissions},
};

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The records on this page.
    pub items: Vec<T>,
    /// This page's number, from 1.
    pub page: i64,
    /// Records per page.
    pub per_page: i64,
    /// Records on all pages. The catalogue listed without a search counts every book, as counted
    /// by the server at most a few seconds before (and again after a change made through it), so
    /// books added or removed through another server may take that long to be counted.
    pub total: i64,
    /// True when more records match than were counted: `total` is then a lower bound (a
    /// search counts and ranks at most its first 1000 matches).
    pub total_capped: bool,
}

/// A list that is never long enough to page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Items<T> {
    /// The records.
    pub items: Vec<T>,
}

/// A bibliographic record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Book {
    pub id: i64,
    /// ISBN-13 (an ISBN-10 given on input is stored as its ISBN-13).
    #[schema(example = "9789799731234")]
    pub isbn: Option<String>,
    #[schema(example = "Cantik Itu Luka")]
    pub title: String,
    pub authors: Vec<String>,
    pub subjects: Vec<String>,
    pub publisher: Option<String>,
    pub year: Option<i64>,
    /// ISO 639 code, e.g. `id`.
    pub language: Option<String>,
    /// Edition statement, e.g. `Cet. 3`.
    pub edition: Option<String>,
    /// The spine label's call number, as the library writes it, e.g. `899.221 KUR c`.
    #[schema(example = "899.221 KUR c")]
    pub call_number: Option<String>,
    /// Classification number (e.g. DDC `899.221`).
    pub classification: Option<String>,
    /// Physical description, e.g. `xii, 505 hlm. ; 21 cm`.
    pub collation: Option<String>,
    /// Series title.
    pub series: Option<String>,
    /// Free notes; may span lines.
    pub notes: Option<String>,
    /// Other identifiers, kept as given: an ISSN, an ISBN that fails its checksum, a local number.
    pub identifiers: Vec<String>,
    /// Where an imported record came from (e.g. `slims:42`); imports match on it.
    #[schema(example = "slims:42")]
    pub source_id: Option<String>,
    /// The code of the book's collection type (`/api/v1/collection-types`), e.g. `fiksi`; a copy may override it.
    #[schema(example = "fiksi")]
    pub collection_type: Option<String>,
    /// Copies in the collection (not withdrawn).
    pub copies_total: i64,
    /// Copies on the shelf now.
    pub copies_available: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One physical copy of a book.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Copy {
    pub id: i64,
    pub book_id: i64,
    pub barcode: String,
    /// Shelf location, e.g. `Rak A3`.
    pub location: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: CopyStatus,
    /// What the copy cost in rupiah, when known: a lost copy is charged at its price.
    pub price: Option<i64>,
    /// The book's title.
    pub title: String,
    pub created_at: DateTime<Utc>,
    /// The copy's collection type (a code): its own, else its book's; none lends by the category alone.
    #[schema(example = "fiksi")]
    pub collection_type: Option<String>,
    /// The copy's own collection type, overriding its book's (e.g. one copy of a novel kept as `referensi`).
    pub collection_type_override: Option<String>,
}

/// A library member (patron).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Member {
    pub id: i64,
    /// Printed on the member's card; scanned at the desk.
    #[schema(example = "P00000018")]
    pub card_number: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The loan-rule category's code.
    pub category: String,
    /// A school student's class (kelas), e.g. `7A`, `XII IPA 2`; none for a teacher or the public.
    #[schema(example = "VIII-B")]
    pub grade: Option<String>,
    /// Last day the membership is valid.
    pub expires_on: Option<NaiveDate>,
    pub blocked: bool,
    pub blocked_reason: Option<String>,
    /// Loans not yet returned.
    pub active_loans: i64,
    /// Unpaid fines in rupiah (what is left of each after part payments).
    #[sqlx(skip)]
    pub unpaid_fines: i64,
    /// Fines accruing on overdue loans still out, as returning them today would charge; they
    /// count towards the category's fine limit together with `unpaid_fines`.
    #[sqlx(skip)]
    pub accruing_fines: i64,
    /// The earliest due day of an overdue loan still out: it stops borrowing and renewing once
    /// the category's `overdue_grace_days` have passed.
    #[sqlx(skip)]
    pub overdue_since: Option<NaiveDate>,
    /// The member's login name, when they have one.
    pub username: Option<String>,
    /// The member's number in the system they were imported from (e.g. `sheet:2024-0117`,
    /// `slims:M0042`); their card number is a Pustaka one.
    pub source_id: Option<String>,
    /// Date of birth (with the name, how a corrected class list finds a student).
    pub birth_date: Option<NaiveDate>,
    /// Other numbers the member is known by (a SLiMS member id, NIS, NISN, an old card): the
    /// desk, the kiosk and the member search take each like `card_number`.
    #[sqlx(skip)]
    pub other_numbers: Vec<OtherNumber>,
    pub created_at: DateTime<Utc>,
}

/// Another number a member is known by.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OtherNumber {
    pub kind: crate::domain::NumberKind,
    #[schema(example = "0051234567")]
    pub number: String,
}

/// A member category and its loan rules. Money is in rupiah.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Category {
    #[schema(example = "student")]
    pub code: String,
    #[schema(example = "Siswa / Mahasiswa")]
    pub name: String,
    /// The loan rules, as flat fields.
    #[serde(flatten)]
    pub rules: crate::domain::circulation::LoanPolicy,
}

/// A loan of a copy to a member.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Loan {
    pub id: i64,
    pub copy_id: i64,
    pub barcode: String,
    pub book_id: i64,
    pub title: String,
    pub member_id: i64,
    pub card_number: String,
    pub member_name: String,
    pub loaned_at: DateTime<Utc>,
    /// The end of the due day in the library's time zone.
    pub due_at: DateTime<Utc>,
    pub returned_at: Option<DateTime<Utc>>,
    pub renewals: i64,
    /// Not returned and past its due time.
    #[sqlx(skip)]
    pub overdue: bool,
    /// Whether the member may renew it now (on a member's list of active loans only).
    #[sqlx(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewable: Option<bool>,
    /// Why it cannot be renewed now: the problem code a renewal would be refused with, e.g.
    /// `renew_limit` (on a member's list of active loans only).
    #[sqlx(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renew_refusal: Option<String>,
}

/// A member's place in the queue for a book.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Hold {
    pub id: i64,
    pub book_id: i64,
    pub title: String,
    pub member_id: i64,
    pub card_number: String,
    pub member_name: String,
    #[sqlx(try_from = "String")]
    pub status: HoldStatus,
    /// Place in the queue (1 = next), while waiting.
    pub position: Option<i64>,
    /// The copy on the hold shelf, while ready.
    pub copy_barcode: Option<String>,
    /// Last day to pick up a ready copy.
    pub pickup_by: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

/// Money a member owes or owed.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Fine {
    pub id: i64,
    pub member_id: i64,
    pub card_number: String,
    pub member_name: String,
    pub loan_id: Option<i64>,
    pub title: Option<String>,
    /// Rupiah.
    pub amount: i64,
    /// Why it was charged: `overdue`, `lost` or `damaged`.
    pub reason: String,
    #[sqlx(try_from = "String")]
    pub status: FineStatus,
    /// Rupiah paid so far (part payments add up until the fine is paid).
    pub paid: i64,
    /// Rupiah still owed: 0 once paid or waived.
    #[sqlx(skip)]
    pub outstanding: i64,
    /// The payment just recorded (in the answer to a payment only): print its receipt.
    #[sqlx(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
    /// Why it was waived.
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A payment towards a fine: what a receipt shows.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Payment {
    pub id: i64,
    pub fine_id: i64,
    /// Rupiah paid this time.
    pub amount: i64,
    pub paid_at: DateTime<Utc>,
    /// Username of the staff member who took the money.
    pub received_by: String,
    pub member_id: i64,
    pub card_number: String,
    pub member_name: String,
    /// Why the fine was charged: `overdue`, `lost` or `damaged`.
    pub reason: String,
    /// The book, for a fine on a loan.
    pub title: Option<String>,
    /// The fine's whole amount.
    pub fine_amount: i64,
    /// Rupiah still owed on the fine right after this payment.
    #[sqlx(skip)]
    pub outstanding_after: i64,
}

/// A login account.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    /// The code of the account's role (`admin`, `librarian`, `member`, `kiosk`, another seeded
    /// role or one an admin made): what it may do is the role's permissions.
    pub role: String,
    /// The member record of a member account.
    pub member_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// A day the library is closed (besides the weekly closed days).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ClosedDay {
    #[sqlx(rename = "day")]
    pub date: NaiveDate,
    pub reason: String,
}

/// Who changed what, and when.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Username of whoever did it (`system` for the service itself).
    pub actor: String,
    /// e.g. `loan.create`.
    pub action: String,
    /// e.g. `loan`.
    pub entity: String,
    pub entity_id: Option<i64>,
    /// What changed, in a few words.
    pub detail: String,
    /// The title of the book the record is about (a loan's, hold's, fine's, copy's or book's),
    /// while the record exists; so the page can say "Buku X dipinjam oleh Y".
    pub book_title: Option<String>,
    /// The copy's barcode (loans, fines of a loan, copies), while the record exists.
    pub barcode: Option<String>,
    /// The member's name (loans, holds, fines, members), while the record exists.
    pub member_name: Option<String>,
    /// The member's card number, with `member_name`.
    pub card_number: Option<String>,
    /// The fine's amount in rupiah (fines).
    pub amount: Option<i64>,
}

/// What the desk needs at a glance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    pub books: i64,
    pub copies: i64,
    pub members: i64,
    pub active_loans: i64,
    pub overdue_loans: i64,
    /// Rupiah owed in all unpaid fines.
    pub unpaid_fines: i64,
}

/// A role: a named set of permissions (issue #32).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoleInfo {
    /// What `users.role` holds.
    pub code: String,
    pub name: String,
    pub permissions: Vec<Permission>,
    /// Seeded with Pustaka; cannot be removed.
    pub builtin: bool,
    /// `admin`, `member` and `kiosk`: their permissions cannot be changed.
    pub fixed: bool,
    /// Accounts holding the role.
    pub accounts: i64,
}

impl RoleInfo {
    /// The permissions as a set.
    pub fn set(&self) -> Permissions {
        Permissions::of(&self.permissions)
    }
}
