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
    /// What an account may do.
    Role {
        /// Everything, including loan rules and accounts.
        Admin = "admin",
        /// The desk: catalogue, members, circulation, fines.
        Librarian = "librarian",
        /// A library member: their own loans, holds and fines.
        Member = "member",
        /// The entrance kiosk of the visitor log: records visits, nothing else.
        Kiosk = "kiosk",
    }
}

impl Role {
    /// Admins and librarians.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Librarian)
    }
}
