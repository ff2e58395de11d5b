//! Small built-in lists of domains the pipeline needs to recognise.

/// Free mailbox providers: their domain says nothing about the company.
const FREE_MAILBOXES: &[&str] = &[
    "aol.com",
    "gmail.com",
    "gmx.de",
    "gmx.net",
    "googlemail.com",
    "hotmail.com",
    "icloud.com",
    "live.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "outlook.com",
    "proton.me",
    "protonmail.com",
    "web.de",
    "yahoo.com",
    "yandex.ru",
    "zoho.com",
];

/// Throw-away mailbox providers, a strong spam signal on a sales form.
const DISPOSABLE_MAILBOXES: &[&str] = &[
    "10minutemail.com",
    "dispostable.com",
    "fakeinbox.com",
    "getnada.com",
    "guerrillamail.com",
    "maildrop.cc",
    "mailinator.com",
    "mailnesia.com",
    "mintemail.com",
    "mohmal.com",
    "sharklasers.com",
    "spamgourmet.com",
    "temp-mail.org",
    "tempmail.dev",
    "throwawaymail.com",
    "trashmail.com",
    "yopmail.com",
];

pub fn is_free_mailbox(domain: &str) -> bool {
    FREE_MAILBOXES.binary_search(&domain).is_ok()
}

pub fn is_disposable_mailbox(domain: &str) -> bool {
    DISPOSABLE_MAILBOXES.binary_search(&domain).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_for_binary_search() {
        assert!(FREE_MAILBOXES.is_sorted());
        assert!(DISPOSABLE_MAILBOXES.is_sorted());
        assert!(is_free_mailbox("gmail.com"));
        assert!(is_disposable_mailbox("mailinator.com"));
        assert!(!is_disposable_mailbox("acme.io"));
    }
}
