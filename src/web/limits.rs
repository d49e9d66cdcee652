//! What an anonymous visitor may cause: posts to public forms are limited per
//! client address (a 429 page with `Retry-After` past the limit), the client
//! address is read through trusted reverse proxies only, and a hidden
//! honeypot field tells a form-filling script from a person.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use governor::clock::{Clock as _, DefaultClock};
use ipnet::IpNet;

use crate::config::Settings;
use crate::web::Pages;

/// The name of the hidden field every public form carries. People never see
/// it (it is off-screen, out of the tab order, and labelled "leave empty");
/// scripts that fill every field fill it, and their post is discarded.
pub const HONEYPOT: &str = "website";

/// Whether a post's honeypot field was filled in.
pub fn caught(honeypot: &str) -> bool {
    !honeypot.trim().is_empty()
}

/// [`caught`] for a form read as name/value pairs.
pub fn caught_in(pairs: &[(String, String)]) -> bool {
    pairs.iter().any(|(k, v)| k == HONEYPOT && caught(v))
}

/// Notes a discarded post (answered as if it had worked, so the script
/// learns nothing).
pub fn discarded(form: &str) {
    tracing::info!(form, "post discarded: the honeypot field was filled in");
}

/// The address of the client behind a request: the socket's peer, unless
/// that peer is a trusted proxy, in which case the right-most address in
/// `X-Forwarded-For` that is not itself a trusted proxy. A client can put
/// anything at the left of that header, so nothing left of the first
/// untrusted hop is believed.
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<Option<IpAddr>> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect();
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) if is_trusted(ip) => continue,
            Some(ip) => return Some(*ip),
            // A hop no proxy of ours wrote: believe nothing further left.
            None => break,
        }
    }
    Some(peer)
}

/// Posts to public forms per client address.
pub struct PublicPosts {
    limiter: Option<governor::DefaultKeyedRateLimiter<IpAddr>>,
    trusted: Vec<IpNet>,
}

impl PublicPosts {
    pub fn from_settings(s: &Settings) -> Arc<Self> {
        let limiter = NonZeroU32::new(s.limits.public_posts_per_minute)
            .map(|n| governor::RateLimiter::keyed(governor::Quota::per_minute(n)));
        Arc::new(Self {
            limiter,
            trusted: s.http.trusted_proxies.clone(),
        })
    }

    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        client_ip(req, &self.trusted)
    }

    /// `Err(seconds to wait)` once this client is over the limit.
    fn check(&self, req: &HttpRequest) -> Result<(), u64> {
        let (Some(limiter), Some(ip)) = (&self.limiter, self.client_ip(req)) else {
            return Ok(());
        };
        limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })?;
        // Forget quiet clients now and then, so the table stays small.
        if limiter.len() > 10_000 {
            limiter.retain_recent();
        }
        Ok(())
    }
}

/// Whether a request is a post to a public form: any POST that is neither
/// the JSON API nor a signed-in organizer page (sign-in has its own limit).
fn is_public_post(req: &ServiceRequest) -> bool {
    req.method() == Method::POST
        && !req.path().starts_with("/api/")
        && !req.path().starts_with("/organizer/")
}

/// Middleware: turns away a client's public posts past the limit.
pub async fn limit_public_posts(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if is_public_post(&req) {
        let limits = req.app_data::<web::Data<Arc<PublicPosts>>>().cloned();
        if let Some(limits) = limits {
            if let Err(wait) = limits.check(req.request()) {
                let pages = req.app_data::<web::Data<crate::web::AppState>>().cloned();
                let response = too_many(pages.as_ref().map(|s| &s.pages), wait);
                return Ok(req.into_response(response));
            }
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The 429 page: what happened and when to try again.
fn too_many(pages: Option<&Pages>, wait: u64) -> HttpResponse {
    let wait = wait.max(1);
    let title = "Too many requests";
    let message = format!(
        "We received too many forms from your network in a short time. Please wait {wait} second{} and send it again.",
        if wait == 1 { "" } else { "s" }
    );
    let mut response = match pages {
        Some(pages) => pages.message(StatusCode::TOO_MANY_REQUESTS, title, &message),
        None => HttpResponse::TooManyRequests()
            .content_type("text/plain; charset=utf-8")
            .body(message),
    };
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_str(&wait.to_string()).expect("digits are a header value"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter()
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .unwrap()
            })
            .collect()
    }

    fn request(peer: &str, forwarded: Option<&str>) -> HttpRequest {
        let mut req = TestRequest::default().peer_addr(format!("{peer}:4000").parse().unwrap());
        if let Some(f) = forwarded {
            req = req.insert_header(("x-forwarded-for", f));
        }
        req.to_http_request()
    }

    #[test]
    fn the_forwarded_header_is_ignored_from_an_untrusted_peer() {
        let req = request("203.0.113.9", Some("198.51.100.1"));
        assert_eq!(
            client_ip(&req, &nets(&["10.0.0.0/8"])),
            Some("203.0.113.9".parse().unwrap()),
            "a client may not choose its own address"
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_last_untrusted_hop_is_the_client() {
        // The client forged the first entry; the proxy appended the real one.
        let req = request("10.0.0.2", Some("1.2.3.4, 198.51.100.7, 10.0.0.3"));
        assert_eq!(
            client_ip(&req, &nets(&["10.0.0.0/8"])),
            Some("198.51.100.7".parse().unwrap())
        );
    }

    #[test]
    fn a_trusted_peer_without_the_header_is_the_client() {
        let req = request("127.0.0.1", None);
        assert_eq!(
            client_ip(&req, &nets(&["127.0.0.1/32"])),
            Some("127.0.0.1".parse().unwrap())
        );
    }

    #[test]
    fn a_garbled_hop_stops_the_walk_at_the_proxy() {
        let req = request("10.0.0.2", Some("not-an-address"));
        assert_eq!(
            client_ip(&req, &nets(&["10.0.0.0/8"])),
            Some("10.0.0.2".parse().unwrap())
        );
    }

    #[test]
    fn only_a_filled_in_honeypot_is_caught() {
        assert!(!caught(""));
        assert!(!caught("  "));
        assert!(caught("http://spam.example"));
    }
}
