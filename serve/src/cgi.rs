//! CGI 1.1 as Wagi speaks it: the request becomes argv and environment
//! variables (plus the body on stdin), and the module's stdout is parsed
//! back into a response (header lines, a blank line, the body).

use crate::routes::RoutePattern;
use std::collections::BTreeMap;

/// What of a request the guest sees.
pub struct RequestInfo<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub version: &'a str,
    pub headers: Vec<(String, String)>,
    pub content_length: usize,
    pub client: std::net::SocketAddr,
    pub local: std::net::SocketAddr,
}

/// argv: without a template, the request path followed by the query's
/// `&`-separated items (CGI's default); with one, `${SCRIPT_NAME}` and
/// `${ARGS}` (the query with `&` as spaces) are substituted and the result
/// split on whitespace — never by a shell, so quotes are not special.
pub fn argv(template: Option<&str>, req: &RequestInfo<'_>) -> Vec<String> {
    match template {
        None => {
            let mut a = vec![req.path.to_owned()];
            if let Some(q) = req.query {
                a.extend(q.split('&').map(str::to_owned));
            }
            a
        }
        Some(t) => t
            .replace("${SCRIPT_NAME}", req.path)
            .replace("${ARGS}", &req.query.unwrap_or("").replace('&', " "))
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    }
}

/// Decodes `%XX` escapes (PATH_INFO is decoded; X_RAW_PATH_INFO is not).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The CGI environment: `base` (from `--env`/`--env-file`) first, so that
/// the request's own variables always win.
pub fn environment(base: &[(String, String)], route: &RoutePattern, req: &RequestInfo<'_>) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = base.iter().cloned().collect();
    let mut set = |k: &str, v: String| {
        env.insert(k.to_owned(), v);
    };
    let host_header = req.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("host")).map(|(_, v)| v.as_str());
    let (server_name, server_port) = match host_header.and_then(|h| h.rsplit_once(':')) {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h.to_owned(), p.to_owned()),
        _ => match host_header {
            Some(h) if !h.is_empty() => (h.to_owned(), "80".to_owned()),
            _ => (req.local.ip().to_string(), req.local.port().to_string()),
        },
    };
    let raw_path_info = route.path_info(req.path).to_owned();
    let path_info = percent_decode(&raw_path_info);
    let content_type = req.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.clone());
    set("AUTH_TYPE", String::new());
    set("CONTENT_LENGTH", req.content_length.to_string());
    set("CONTENT_TYPE", content_type.unwrap_or_default());
    set("GATEWAY_INTERFACE", "CGI/1.1".into());
    set("PATH_INFO", path_info.clone());
    set("PATH_TRANSLATED", path_info);
    set("QUERY_STRING", req.query.unwrap_or("").to_owned());
    set("REMOTE_ADDR", req.client.ip().to_string());
    set("REMOTE_HOST", req.client.ip().to_string());
    set("REMOTE_USER", String::new());
    set("REQUEST_METHOD", req.method.to_owned());
    set("SCRIPT_NAME", route.script_name().to_owned());
    set("SERVER_NAME", server_name.clone());
    set("SERVER_PORT", server_port.clone());
    set("SERVER_PROTOCOL", req.version.to_owned());
    set("SERVER_SOFTWARE", concat!("faasm-engine/", env!("CARGO_PKG_VERSION")).to_owned());
    set("X_MATCHED_ROUTE", route.original().to_owned());
    set("X_RAW_PATH_INFO", raw_path_info);
    let query = req.query.map(|q| format!("?{q}")).unwrap_or_default();
    set("X_FULL_URL", format!("http://{server_name}:{server_port}{}{query}", req.path));
    for (k, v) in &req.headers {
        let name = format!("HTTP_{}", k.to_ascii_uppercase().replace('-', "_"));
        // RFC 3875 4.1.18: credentials and connection handling stay with the server.
        if name == "HTTP_AUTHORIZATION" || name == "HTTP_CONNECTION" {
            continue;
        }
        env.insert(name, v.clone());
    }
    env
}

/// A response parsed from the module's stdout.
#[derive(Debug, PartialEq, Eq)]
pub struct CgiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Parses CGI output: header lines (`\n` or `\r\n`), a blank line, the
/// body. `Content-Type`, `Location` (302 unless a `Status` says otherwise)
/// or `Status: CODE [reason]` must be present; other valid headers pass
/// through. Anything else is an error message for a 502.
pub fn parse_response(out: &[u8]) -> Result<CgiResponse, String> {
    let (head, body) = split_head(out).ok_or("no blank line ends the CGI headers")?;
    let head = std::str::from_utf8(head).map_err(|_| "the CGI headers are not UTF-8".to_owned())?;
    let mut status: Option<u16> = None;
    let mut location = false;
    let mut content_type = false;
    let mut headers = Vec::new();
    for line in head.split('\n').map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or_else(|| format!("CGI header line {line:?} has no ':'"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || b"-_!#$%&'*+.^`|~".contains(&c)) {
            return Err(format!("CGI header name {name:?} is not a valid HTTP header name"));
        }
        if value.bytes().any(|c| c < 0x20 && c != b'\t') {
            return Err(format!("CGI header {name} has control characters in its value"));
        }
        match name.to_ascii_lowercase().as_str() {
            "status" => {
                let code = value.split_whitespace().next().unwrap_or("");
                match code.parse::<u16>() {
                    Ok(c) if (100..=999).contains(&c) => status = Some(c),
                    _ => return Err(format!("CGI Status {value:?} is not a status code")),
                }
            }
            lower => {
                location |= lower == "location";
                content_type |= lower == "content-type";
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
    }
    if !content_type && !location && status.is_none() {
        return Err("the CGI response has none of Content-Type, Location or Status".into());
    }
    let status = status.unwrap_or(if location { 302 } else { 200 });
    Ok(CgiResponse { status, headers, body: body.to_vec() })
}

/// Splits at the first empty line (`\n\n` or `\r\n\r\n`, mixed allowed).
fn split_head(out: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut line_start = 0;
    for (i, &c) in out.iter().enumerate() {
        if c == b'\n' {
            let line = &out[line_start..i];
            if line.is_empty() || line == b"\r" {
                return Some((&out[..line_start], &out[i + 1..]));
            }
            line_start = i + 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses() {
        let r = parse_response(b"Content-Type: text/plain\r\nX-A: 1\r\n\r\nhello\n\nworld").unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"hello\n\nworld");
        assert_eq!(r.headers, vec![("Content-Type".into(), "text/plain".into()), ("X-A".into(), "1".into())]);
        let r = parse_response(b"Location: /x\n\n").unwrap();
        assert_eq!(r.status, 302);
        let r = parse_response(b"Status: 418 I'm a teapot\nContent-Type: text/plain\n\n").unwrap();
        assert_eq!(r.status, 418);
        assert!(parse_response(b"hello world").is_err());
        assert!(parse_response(b"X-Only: 1\n\nbody").is_err());
        assert!(parse_response(b"no colon here\n\n").is_err());
        assert!(parse_response(b"Status: abc\n\n").is_err());
    }

    #[test]
    fn argv_templates_split_on_whitespace_without_a_shell() {
        let req = RequestInfo {
            method: "GET",
            path: "/py/x",
            query: Some("a=1&b=2"),
            version: "HTTP/1.1",
            headers: vec![],
            content_length: 0,
            client: "127.0.0.1:1".parse().unwrap(),
            local: "127.0.0.1:2".parse().unwrap(),
        };
        assert_eq!(argv(None, &req), ["/py/x", "a=1", "b=2"]);
        assert_eq!(
            argv(Some("python3.wasm '/app/h.py' ${SCRIPT_NAME} ${ARGS}"), &req),
            ["python3.wasm", "'/app/h.py'", "/py/x", "a=1", "b=2"]
        );
        assert_eq!(percent_decode("/a%20b%zz%4"), "/a b%zz%4");
    }
}
