//! What a player or lobby name may contain beyond its length: nothing that hides, reorders
//! or stacks text. Bidirectional controls, zero-width and other invisible characters, and
//! Hangul fillers are refused; combining marks may not pile up; and a name must show at
//! least one visible character.

/// Most combining marks allowed on one base character (enough for any real script).
pub const MAX_COMBINING_RUN: usize = 3;

/// Characters that reorder text or draw nothing, so a name could hide or impersonate.
fn is_invisible_or_reordering(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                  // soft hyphen
        | '\u{034F}'                // combining grapheme joiner
        | '\u{061C}'                // Arabic letter mark
        | '\u{115F}' | '\u{1160}'   // Hangul choseong and jungseong fillers
        | '\u{17B4}' | '\u{17B5}'   // Khmer inherent vowels
        | '\u{180B}'..='\u{180F}'   // Mongolian variation selectors, vowel separator
        | '\u{200B}'..='\u{200F}'   // zero-width space, joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}'   // bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}'   // word joiner, invisible operators, bidi isolates
        | '\u{2800}'                // braille blank
        | '\u{3164}'                // Hangul filler
        | '\u{FE00}'..='\u{FE0F}'   // variation selectors
        | '\u{FEFF}'                // zero-width no-break space
        | '\u{FFA0}'                // halfwidth Hangul filler
        | '\u{FFF0}'..='\u{FFFB}'   // specials, interlinear annotation
        | '\u{E0000}'..='\u{E007F}' // tags
        | '\u{E0100}'..='\u{E01EF}' // variation selectors supplement
    )
}

/// Combining marks: drawn on the character before them.
fn is_combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0483}'..='\u{0489}'
        | '\u{0591}'..='\u{05BD}'
        | '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}'
    )
}

/// Whether `name` hides nothing: no invisible or reordering characters, no pile of
/// combining marks, and at least one visible character that is not a mark.
pub fn is_visible_name(name: &str) -> bool {
    let mut run = 0;
    let mut visible = false;
    for c in name.chars() {
        if is_invisible_or_reordering(c) {
            return false;
        }
        if is_combining(c) {
            run += 1;
            if run > MAX_COMBINING_RUN {
                return false;
            }
        } else {
            run = 0;
            visible |= !c.is_whitespace();
        }
    }
    visible
}

#[cfg(test)]
mod tests {
    use super::is_visible_name;

    #[test]
    fn real_names_pass() {
        for name in [
            "Ada",
            "Zoë",
            "José María",
            "Nguyễn",
            "김철수",
            "李小龍",
            "Ελένη",
            "ไทย",
            "👾 bot",
        ] {
            assert!(is_visible_name(name), "{name}");
        }
    }

    #[test]
    fn hiding_names_fail() {
        for name in [
            "\u{202E}nimda",                     // right-to-left override
            "admin\u{2066}",                     // bidi isolate
            "\u{200B}\u{200B}",                  // zero-width only
            "\u{3164}",                          // Hangul filler
            "\u{115F}\u{1160}",                  // Hangul choseong and jungseong fillers
            "a\u{200D}b",                        // zero-width joiner hidden inside
            "Z\u{0336}\u{0337}\u{0338}\u{0335}", // a pile of combining marks
            "\u{0301}\u{0301}",                  // marks with nothing to sit on
            "   ",
        ] {
            assert!(!is_visible_name(name), "{name:?}");
        }
    }
}
