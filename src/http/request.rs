//! Small pieces of HTTP parsing: the query string, the bearer credential, the base URL.

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space, `%XX` a byte.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// The token of `Authorization: Bearer <token>`; the scheme is case-insensitive.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let h = header?.trim();
    let (scheme, token) = h.split_once(char::is_whitespace)?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The absolute base URL (`.../scim/v2`) that `meta.location` and `Location` use: the
/// configured public URL, else the request's own scheme and host as a proxy reports them.
pub fn base_url(
    public_url: Option<&str>,
    forwarded_proto: Option<&str>,
    host: Option<&str>,
    listen: &str,
) -> String {
    let root = match public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let scheme = match forwarded_proto.map(|p| p.split(',').next().unwrap_or("").trim()) {
                Some(p) if p.eq_ignore_ascii_case("https") => "https",
                _ => "http",
            };
            format!(
                "{scheme}://{}",
                host.filter(|h| !h.is_empty()).unwrap_or(listen)
            )
        }
    };
    if root.ends_with("/scim/v2") {
        root
    } else {
        format!("{root}/scim/v2")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_entra_query_strings() {
        let q = parse_query("filter=userName+eq+%22a%40b.org%22&aadOptscim062020&count=%31");
        assert_eq!(q[0], ("filter".into(), "userName eq \"a@b.org\"".into()));
        assert_eq!(q[1], ("aadOptscim062020".into(), "".into()));
        assert_eq!(q[2].1, "1");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer   abc ")), Some("abc"));
        assert_eq!(bearer(Some("non-token")), None);
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn base_url_from_config_or_request() {
        assert_eq!(
            base_url(Some("https://g.example.com/"), None, None, "x"),
            "https://g.example.com/scim/v2"
        );
        assert_eq!(
            base_url(None, Some("https"), Some("g.example.com"), "x"),
            "https://g.example.com/scim/v2"
        );
        assert_eq!(
            base_url(None, None, None, "127.0.0.1:8080"),
            "http://127.0.0.1:8080/scim/v2"
        );
    }
}
