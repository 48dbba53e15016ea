//! What an account name and a password may be. Names are stored and matched literally, so
//! anything printable is allowed, quotes and SQL included; what would be invisible or
//! ambiguous on a page is not.

/// The longest account name, in characters (the column is `VARCHAR(64)`).
pub const MAX_ACCOUNT_CHARS: usize = 64;
/// The shortest password (OWASP's minimum for a password alone).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest password: argon2 accepts any length, but hashing is paid per byte.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Checks an account name, saying what to fix.
pub fn account(name: &str) -> Result<(), String> {
    let length = name.chars().count();
    if length == 0 || length > MAX_ACCOUNT_CHARS {
        return Err(format!(
            "the account name must be 1 to {MAX_ACCOUNT_CHARS} characters long"
        ));
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        return Err("the account name must not start or end with a space".into());
    }
    if name.chars().any(char::is_control) {
        return Err("the account name must not contain control characters".into());
    }
    Ok(())
}

/// Checks a new password's length.
pub fn password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password must be at least {MIN_PASSWORD_CHARS} characters long"
        ));
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(format!(
            "the password must be at most {MAX_PASSWORD_CHARS} characters long"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn account_names_are_printable_text_of_bounded_length() {
        assert!(super::account("alice").is_ok());
        assert!(super::account("x' OR '1'='1").is_ok());
        assert!(super::account("Zoë 山田").is_ok());
        assert!(super::account(&"a".repeat(64)).is_ok());
        assert!(super::account("").is_err());
        assert!(super::account(&"a".repeat(65)).is_err());
        assert!(super::account(" alice").is_err());
        assert!(super::account("alice\t").is_err());
        assert!(super::account("al\u{0}ice").is_err());
    }

    #[test]
    fn passwords_are_eight_to_1024_characters() {
        assert!(super::password("12345678").is_ok());
        assert!(super::password("1234567").is_err());
        assert!(super::password(&"p".repeat(1024)).is_ok());
        assert!(super::password(&"p".repeat(1025)).is_err());
    }
}
