//! The seven levers of change: the Jam's fixed taxonomy for what a session
//! or a talk is about. Stored as codes; shown as labels.

/// (code, label), in the order pages list them.
pub const LEVERS: [(&str, &str); 7] = [
    ("regulation-policy", "Regulation and policy"),
    ("payment", "Payment"),
    ("clinical-model", "Clinical model"),
    ("workforce-expansion", "Workforce expansion"),
    ("organizational-culture", "Organizational culture"),
    ("quality-accountability", "Quality and accountability"),
    ("technology", "Technology"),
];

/// What each lever means, in a line a visitor reads on hover or tap.
const EXPLANATIONS: [(&str, &str); 7] = [
    (
        "regulation-policy",
        "Laws, rules, licensing and scope of practice: who may do the work, and how.",
    ),
    (
        "payment",
        "How the work is paid for: rates, billing codes, value-based contracts.",
    ),
    (
        "clinical-model",
        "How care is organized and delivered: team roles, peers, stepped and integrated care.",
    ),
    (
        "workforce-expansion",
        "Growing the workforce: recruiting, training, career ladders and new roles.",
    ),
    (
        "organizational-culture",
        "Leadership, supervision and the daily conditions that make people stay.",
    ),
    (
        "quality-accountability",
        "Measuring results and using them to improve care and answer for it.",
    ),
    (
        "technology",
        "Tools that extend what the workforce can do: telehealth, digital tools, data.",
    ),
];

pub fn label(code: &str) -> Option<&'static str> {
    LEVERS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// Checks each code, keeping the taxonomy's order and dropping repeats;
/// the error names every unknown code and lists the known ones.
pub fn parse<S: AsRef<str>>(codes: &[S]) -> Result<Vec<&'static str>, String> {
    let given: Vec<&str> = codes.iter().map(|c| c.as_ref().trim()).collect();
    let unknown: Vec<&str> = given
        .iter()
        .copied()
        .filter(|c| label(c).is_none())
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = LEVERS.iter().map(|(c, _)| *c).collect();
        return Err(format!(
            "unknown lever(s) {}; the levers are {}",
            unknown.join(", "),
            known.join(", ")
        ));
    }
    Ok(LEVERS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| given.contains(c))
        .collect())
}

/// The comma-separated column value back into codes (unknown ones, which
/// only a hand edit could write, are dropped).
pub fn from_column(text: &str) -> Vec<&'static str> {
    let given: Vec<&str> = text.split(',').map(str::trim).collect();
    LEVERS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| given.contains(c))
        .collect()
}

/// A lever of change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LeverTag {
    pub code: String,
    pub label: String,
    /// What the lever means, in one line.
    pub explanation: String,
}

/// `[{code, label}]` for pages and the API.
pub fn tags(codes: &[&str]) -> Vec<LeverTag> {
    codes
        .iter()
        .filter_map(|c| {
            Some(LeverTag {
                code: c.to_string(),
                label: label(c)?.to_string(),
                explanation: EXPLANATIONS
                    .iter()
                    .find(|(code, _)| code == c)
                    .map_or("", |(_, text)| text)
                    .to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lever_is_explained() {
        for (code, _) in LEVERS {
            assert!(!tags(&[code])[0].explanation.is_empty(), "{code}");
        }
    }

    #[test]
    fn there_are_seven_levers_with_distinct_codes() {
        let mut codes: Vec<&str> = LEVERS.iter().map(|(c, _)| *c).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 7);
    }

    #[test]
    fn parsing_keeps_the_taxonomy_order_drops_repeats_and_names_unknown_codes() {
        assert_eq!(
            parse(&["technology", "payment", "payment"]).unwrap(),
            vec!["payment", "technology"]
        );
        let err = parse(&["payment", "vibes"]).unwrap_err();
        assert!(err.contains("vibes"), "{err}");
        assert_eq!(
            from_column("technology,payment,bogus"),
            vec!["payment", "technology"]
        );
        assert!(from_column("").is_empty());
    }
}
