//! Search text: what a name, an email or a phone becomes in the search
//! index, and what a query becomes before it is matched by prefix. Our
//! market is Egypt and the Gulf, so Arabic is folded the way people type it:
//!
//! * case and Latin accents folded (`Élodie` → `elodie`, `Müller` → `muller`);
//! * Arabic tashkeel (U+064B–U+065F, U+0670) and tatweel (U+0640) removed;
//! * alef forms `أ إ آ ٱ` → `ا`, taa marbuta `ة` → `ه`, alef maqsura `ى` → `ي`,
//!   `ؤ` → `و`, `ئ` → `ي`; Arabic-Indic and Persian digits → ASCII digits.
//!
//! Pure and allocation-light; the index and the query use the same functions,
//! so whatever matches once matches always.

/// Lower-case ASCII for one folded Latin letter, if it is an accented one.
fn fold_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'à'..='å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ð' | 'ď' | 'đ' => "d",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'þ' => "th",
        'ß' => "ss",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ţ' | 'ť' | 'ŧ' => "t",
        'ŵ' => "w",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// One character folded: `None` drops it (marks, tatweel), else its replacement.
fn fold(c: char, out: &mut String) {
    match c {
        // Combining diacritics, Arabic tashkeel, superscript alef, tatweel.
        '\u{0300}'..='\u{036F}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => {}
        'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
        'ة' => out.push('ه'),
        'ى' | 'ئ' => out.push('ي'),
        'ؤ' => out.push('و'),
        '٠'..='٩' => out.push(char::from(b'0' + (c as u32 - '٠' as u32) as u8)),
        '۰'..='۹' => out.push(char::from(b'0' + (c as u32 - '۰' as u32) as u8)),
        c => {
            for l in c.to_lowercase() {
                match fold_latin(l) {
                    Some(s) => out.push_str(s),
                    None => out.push(l),
                }
            }
        }
    }
}

/// The folded form of a text (whitespace kept).
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold(c, &mut out);
    }
    out
}

/// The words of a text, folded: split on anything that is not a letter or
/// a digit (`@`, `.`, `-`, spaces), empty pieces dropped, order kept, no repeats.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in normalise(text).split(|c: char| !c.is_alphanumeric()) {
        if !w.is_empty() && !out.iter().any(|x| x == w) {
            out.push(w.to_string());
        }
    }
    out
}

/// The index terms of a record's searchable fields: every word, each whole
/// email (so `mona@acme.com` matches as typed) and, per phone, its digits and
/// its national number — `+201001234567` is found by `+2010…` and by the
/// local `01001…` alike (a query drops leading zeros).
pub fn terms(names: &[&str], emails: &[&str], phones: &[&crate::Phone]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    };
    for n in names {
        words(n).into_iter().for_each(&mut push);
    }
    for e in emails {
        let e = normalise(e.trim());
        if let Some((local, _)) = e.split_once('@') {
            words(local).into_iter().for_each(&mut push);
        }
        push(e);
    }
    for p in phones {
        let digits = p.as_str().trim_start_matches('+');
        // Unknown calling code: the last ten digits stand for the national number.
        let national = p.national().unwrap_or(&digits[digits.len().saturating_sub(10)..]);
        push(national.trim_start_matches('0').to_string());
        push(digits.to_string());
    }
    out
}

/// What a query becomes: its folded words (each must prefix-match a term).
pub fn query(text: &str) -> Vec<String> {
    let t = text.trim();
    if t.contains('@') {
        return vec![normalise(t)];
    }
    let digits: String = normalise(t).chars().filter(char::is_ascii_digit).collect();
    if !digits.is_empty() && t.chars().all(|c| c.is_ascii_digit() || "+- ()٠١٢٣٤٥٦٧٨٩".contains(c)) {
        return vec![digits.trim_start_matches('0').to_string()];
    }
    words(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_accents_and_case_fold() {
        assert_eq!(normalise("Élodie Müller-Çelik"), "elodie muller-celik");
        assert_eq!(normalise("Straße Ø"), "strasse o");
        assert_eq!(words("José  GARCÍA"), vec!["jose", "garcia"]);
    }

    #[test]
    fn arabic_folds_the_way_people_type_it() {
        // Alef forms, taa marbuta, alef maqsura, tashkeel and tatweel.
        assert_eq!(normalise("أحمد"), normalise("احمد"));
        assert_eq!(normalise("إيمان"), "ايمان");
        assert_eq!(normalise("آمنة"), "امنه");
        assert_eq!(normalise("مُصْطَفَى"), "مصطفي");
        assert_eq!(normalise("محـــمد"), "محمد");
        assert_eq!(normalise("فاطمة"), normalise("فاطمه"));
        assert_eq!(normalise("هدى"), normalise("هدي"));
        assert_eq!(normalise("٠١٠٢"), "0102");
        assert_eq!(query("أَحْمَد"), vec!["احمد"]);
    }

    #[test]
    fn terms_cover_names_emails_and_phones() {
        let phone = crate::Phone::parse("+201001234567").unwrap();
        let t = terms(&["Mona Saïd", "Acme"], &["Mona.Said@Acme.com"], &[&phone]);
        assert!(t.contains(&"mona".to_string()) && t.contains(&"said".to_string()) && t.contains(&"acme".to_string()));
        assert!(t.contains(&"mona.said@acme.com".to_string()));
        assert!(t.contains(&"201001234567".to_string()));
        assert!(t.contains(&"1001234567".to_string()), "{t:?}");
        let uae = crate::Phone::parse("+97145551234").unwrap();
        assert!(terms(&[], &[], &[&uae]).contains(&"45551234".to_string()));
        assert_eq!(query("010 0123"), vec!["100123"]);
        assert_eq!(query("Mona.Said@ACME"), vec!["mona.said@acme"]);
        assert_eq!(query("  ElOdie  mü "), vec!["elodie", "mu"]);
    }
}
