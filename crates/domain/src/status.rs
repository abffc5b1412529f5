//! The states of copies, holds and fines, and the roles of accounts: plain values the rules
//! decide over.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a string enum stored as text and sent as snake_case.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// The stored and serialised name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }

            /// Reads a stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)+ _ => None }
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s).ok_or_else(|| format!("unknown {} {s:?}", stringify!($name)))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// What a copy is doing now.
    CopyStatus {
        /// On the shelf, can be lent.
        Available = "available",
        /// Lent to a member.
        OnLoan = "on_loan",
        /// Set aside for the member whose hold it fills.
        OnHoldShelf = "on_hold_shelf",
        /// Lost.
        Lost = "lost",
        /// Taken out of the collection.
        Withdrawn = "withdrawn",
    }
}

text_enum! {
    /// A hold's state.
    HoldStatus {
        /// In the queue for the book.
        Waiting = "waiting",
        /// A copy waits on the hold shelf until `pickup_by`.
        Ready = "ready",
        /// The member borrowed the copy.
        Fulfilled = "fulfilled",
        /// Cancelled by the member or staff.
        Cancelled = "cancelled",
        /// Not picked up in time.
        Expired = "expired",
    }
}

text_enum! {
    /// A fine's state. Fines are never deleted.
    FineStatus {
        /// Owed.
        Unpaid = "unpaid",
        /// Paid at the desk.
        Paid = "paid",
        /// Forgiven by staff, with a reason.
        Waived = "waived",
    }
}

text_enum! {
    /// One area of work an account's role may hold (issue #32). A route needs one of them (or is
    /// public, or the caller's own record); a role is a set of them.
    Permission {
        /// Lending, returns, renewals and holds for any member; a member's record at the desk.
        Desk = "desk",
        /// Books, copies, covers, stock takes.
        Catalogue = "catalogue",
        /// The member register: listing, adding, changing, removing members; their photos.
        Members = "members",
        /// Fines: the list, paying, waiving.
        Fines = "fines",
        /// Spreadsheets and MARC files into the catalogue and the members.
        Imports = "imports",
        /// The catalogue, copies, members and loans out as CSV or XLSX.
        Exports = "exports",
        /// Labels, member cards, the print sheets.
        Print = "print",
        /// Reports, statistics, the visitor statistics, the audit log.
        Reports = "reports",
        /// The library's settings: identity, loan rules, categories, notices, catalogue sources.
        Settings = "settings",
        /// Backups: every record out, and every record replaced.
        Backups = "backups",
        /// Accounts and roles.
        Users = "users",
        /// Recording visits at the entrance kiosk.
        Kiosk = "kiosk",
        /// The reading programme's reports (#34): with `reports` for every class, without it
        /// (a teacher) for the account's own classes only.
        Reading = "reading",
    }
}

impl Permission {
    /// Every permission, in the order the page lists them.
    pub const ALL: [Permission; 13] = [
        Permission::Desk,
        Permission::Catalogue,
        Permission::Members,
        Permission::Fines,
        Permission::Imports,
        Permission::Exports,
        Permission::Print,
        Permission::Reports,
        Permission::Settings,
        Permission::Backups,
        Permission::Users,
        Permission::Kiosk,
        Permission::Reading,
    ];

    fn bit(self) -> u32 {
        1 << Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// A set of permissions: what a role holds. Stored as their names separated by spaces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Permissions(u32);

impl Permissions {
    /// No permission at all (a member account).
    pub const NONE: Permissions = Permissions(0);

    /// Every permission (the admin role, the service itself).
    pub fn all() -> Self {
        Self::of(&Permission::ALL)
    }

    /// The set of the permissions given.
    pub fn of(ps: &[Permission]) -> Self {
        Permissions(ps.iter().fold(0, |acc, p| acc | p.bit()))
    }

    /// Whether the set holds `p`.
    pub fn has(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    /// The permissions held, in [`Permission::ALL`]'s order.
    pub fn list(self) -> Vec<Permission> {
        Permission::ALL.into_iter().filter(|p| self.has(*p)).collect()
    }

    /// Reads the stored text; an unknown name is an error naming it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut ps = Vec::new();
        for name in text.split([' ', ',']).filter(|n| !n.is_empty()) {
            ps.push(Permission::parse(name).ok_or_else(|| format!("unknown permission {name:?}"))?);
        }
        Ok(Self::of(&ps))
    }

    /// The stored text.
    pub fn to_text(self) -> String {
        self.list().iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" ")
    }
}

/// The roles every library starts with (seeded by a migration; `admin`, `member` and `kiosk`
/// cannot be changed or removed, the others can be changed). Codes are what `users.role` holds.
pub mod roles {
    use super::{Permission::*, Permissions};

    /// Everything.
    pub const ADMIN: &str = "admin";
    /// What librarians could do before roles had permissions: everything but settings, backups,
    /// accounts and imports.
    pub const LIBRARIAN: &str = "librarian";
    /// A library member's own account: no permission, their own records only.
    pub const MEMBER: &str = "member";
    /// A class teacher (#34): the reading programme of the classes given to the account.
    pub const GURU: &str = "guru";
    /// The entrance kiosk: records visits, nothing else.
    pub const KIOSK: &str = "kiosk";

    /// The seeded roles: code, name, permissions.
    pub fn seeded() -> Vec<(&'static str, &'static str, Permissions)> {
        vec![
            (ADMIN, "Admin", Permissions::all()),
            (
                LIBRARIAN,
                "Pustakawan",
                Permissions::of(&[Desk, Catalogue, Members, Fines, Exports, Print, Reports, Kiosk, Reading]),
            ),
            ("desk_helper", "Petugas meja", Permissions::of(&[Desk, Kiosk])),
            ("cataloguer", "Katalogisasi", Permissions::of(&[Catalogue, Print])),
            ("reports_only", "Laporan saja", Permissions::of(&[Reports, Reading])),
            (GURU, "Guru", Permissions::of(&[Reading])),
            (KIOSK, "Kios", Permissions::of(&[Kiosk])),
            (MEMBER, "Anggota", Permissions::NONE),
        ]
    }

    /// Roles whose permissions are fixed: the admin's (so an admin cannot lock everyone out),
    /// the member's and the kiosk's (accounts of another kind).
    pub fn is_fixed(code: &str) -> bool {
        matches!(code, ADMIN | MEMBER | KIOSK)
    }
}

#[cfg(test)]
mod permission_tests {
    use super::*;

    #[test]
    fn permissions_round_trip_as_text() {
        for n in 0..(1u32 << Permission::ALL.len()) {
            let ps = Permissions(n);
            assert_eq!(Permissions::parse(&ps.to_text()), Ok(ps));
        }
        assert!(Permissions::parse("desk nonsense").is_err());
        assert_eq!(Permissions::parse("desk,fines").map(|p| p.list()), Ok(vec![Permission::Desk, Permission::Fines]));
        assert!(!Permissions::NONE.has(Permission::Desk));
        assert!(Permissions::all().has(Permission::Kiosk));
    }
}
