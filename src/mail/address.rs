//! A checked, normalized e-mail address.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Trims and lower-cases, so the same person is found however they type
    /// it; refuses what no mail server would accept.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err("Enter your e-mail address.");
        }
        if s.len() > 254 {
            return Err("This e-mail address is too long.");
        }
        let address: lettre::Address = s
            .parse()
            .map_err(|_| "Enter an e-mail address like name@example.org.")?;
        let domain = address.domain();
        if !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.starts_with('[')
        {
            return Err("Enter an e-mail address like name@example.org.");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs: `a***@example.org`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks the local part of an address for logs.
pub fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(
            EmailAddress::parse("  Ada.Lovelace@Example.ORG ")
                .unwrap()
                .as_str(),
            "ada.lovelace@example.org"
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@localhost",
            "ada@@example.org",
            "a b@example.org",
            "ada@[127.0.0.1]",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "`{bad}` should be refused"
            );
        }
    }

    #[test]
    fn logs_see_only_the_first_letter() {
        assert_eq!(
            EmailAddress::parse("ada@example.org").unwrap().masked(),
            "a***@example.org"
        );
    }
}
