//! People's names as a library greets them.
//!
//! Indonesian names rarely start with the name a person is called by: school lists are typed in
//! capitals (`NI LUH PUTU AYU LESTARI`), many start with an abbreviation (`MUH. RIZKI`, `M. FAJAR`,
//! `Hj. Siti`), a Balinese name with its gender, birth-order and caste words (`I Gede`, `Ni Luh`,
//! `Anak Agung`, `Ida Bagus`, `Putu`, `Made`, `Komang`, `Ketut`), a Javanese or Sundanese one with
//! `Muhammad`/`Moch.` or a title (`Raden`, `R.`), an Acehnese one with `Teuku`/`Cut`, and degrees
//! follow a comma (`Budi, S.Pd.`). The kiosk's "Selamat datang, …!" uses [`call_name`].

/// Words that open a name without being the one a person is called by (lower case, without a
/// trailing dot). A name made only of these keeps its last word.
#[rustfmt::skip]
const LEADING: &[&str] = &[
    // Balinese: gender, birth order, caste
    "i", "ni", "luh", "gede", "putu", "wayan", "kadek", "made", "nengah", "komang", "nyoman",
    "ketut", "anak", "agung", "ida", "bagus", "gusti", "ngurah", "dewa", "desak", "cokorda", "sang",
    // Arabic given names many share, and their spellings
    "muhammad", "muhamad", "muhammmad", "mohammad", "mohamad", "mohammed", "mohamed", "muchammad",
    "muchamad", "mochammad", "mochamad", "moch", "moh", "muh", "mhd", "md",
    // titles and honorifics
    "raden", "ajeng", "rr", "tengku", "teuku", "cut", "nyak", "haji", "hajjah", "hj", "h", "kh", "dr", "drs", "dra",
    "ir", "prof", "sdr", "sdri", "bapak", "ibu", "pak", "bu",
];

/// The name to greet a person by: the first word of NAME that is not an abbreviation, a title or a
/// Balinese/Arabic opening word (see [`LEADING`]), in title case when the name was typed in
/// capitals; what follows a comma (degrees) is ignored. Never empty when NAME has a letter.
pub fn call_name(name: &str) -> String {
    let words_of = |s: &'_ str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .map(str::to_owned)
            .collect()
    };
    let mut words = words_of(name.split(',').next().unwrap_or(name));
    if words.is_empty() {
        words = words_of(name);
    }
    let Some(last) = words.last() else {
        return name.trim().to_owned();
    };
    let chosen = words.iter().find(|w| !is_leading(w)).unwrap_or(last);
    let chosen = chosen.trim_matches(|c: char| !c.is_alphanumeric());
    if is_shouting(chosen) {
        title_case(chosen)
    } else {
        chosen.to_owned()
    }
}

/// An abbreviation (`M.`, `Muh.`, `S.Pd`), a single letter, or one of [`LEADING`].
fn is_leading(word: &str) -> bool {
    if word.contains('.') {
        return true;
    }
    let bare = word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    bare.chars().count() <= 1 || LEADING.contains(&bare.as_str())
}

/// All its letters capitals, and more than one of them.
fn is_shouting(word: &str) -> bool {
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() > 1 && letters.iter().all(|c| c.is_uppercase())
}

/// `NURHALIZA` → `Nurhaliza`, `SITI-AISYAH` → `Siti-Aisyah`, `O'NEIL` → `O'Neil`.
fn title_case(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut start = true;
    for c in word.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = !c.is_alphabetic();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn greets_by_the_name_a_person_is_called_by() {
        for (name, greeting) in [
            ("Budi Santoso", "Budi"),
            ("  Sukarno ", "Sukarno"),
            ("NI LUH PUTU AYU LESTARI", "Ayu"),
            ("I Gede Made Wirawan", "Wirawan"),
            ("Anak Agung Ngurah Oka", "Oka"),
            ("MUH. RIZKI PRATAMA", "Rizki"),
            ("M. Fajar Sidik", "Fajar"),
            ("Muhammad Iqbal", "Iqbal"),
            ("MOCH. ARIF", "Arif"),
            ("Hj. Siti Aminah", "Siti"),
            ("Teuku Umar", "Umar"),
            ("Cut Nyak Dien", "Dien"),
            ("Raden Ajeng Kartini", "Kartini"),
            (", Budi", "Budi"),
            ("Dra. Sri Wahyuni, M.Pd.", "Sri"),
            ("BUDI, S.Pd.", "Budi"),
            ("SITI-AISYAH", "Siti-Aisyah"),
            // Only opening words: the last of them rather than nothing
            ("I Made", "Made"),
            ("Muhammad", "Muhammad"),
            ("KETUT", "Ketut"),
            // Mixed case is kept as typed
            ("deSouza Maria", "deSouza"),
        ] {
            assert_eq!(call_name(name), greeting, "{name}");
        }
    }

    proptest! {
        /// Whatever the name, the greeting is one of its words (letters only, trimmed), and not
        /// empty when the name has a letter.
        #[test]
        fn the_greeting_is_a_word_of_the_name(name in "[A-Za-z .,'-]{0,40}") {
            let g = call_name(&name);
            if name.chars().any(char::is_alphanumeric) {
                prop_assert!(!g.is_empty());
                prop_assert!(!g.contains(' '));
                let lower = name.to_lowercase();
                prop_assert!(lower.contains(&g.to_lowercase()), "{g} not in {name}");
            }
        }
    }
}
