//! Route registration that keeps a list of what it registered. Every route
//! the server answers goes through `Routes` (`app::routes`), so
//! `app::route_list` names each (method, pattern) without starting a
//! server: the roles test walks that list, and a new route it has no entry
//! for fails it.

use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, Responder};

/// Registers routes on actix's `ServiceConfig` (or only lists them) and
/// remembers each (method, pattern), in order.
pub struct Routes<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    listed: Vec<(Method, &'static str)>,
}

macro_rules! method {
    ($($name:ident => $method:ident),* $(,)?) => {$(
        #[doc = concat!("A `", stringify!($method), "` route.")]
        pub fn $name<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.add(Method::$method, path, handler)
        }
    )*};
}

impl<'a> Routes<'a> {
    /// Routes registered on `cfg`.
    pub fn new(cfg: &'a mut web::ServiceConfig) -> Self {
        Self {
            cfg: Some(cfg),
            listed: Vec::new(),
        }
    }

    /// Routes only listed, registered nowhere.
    pub fn listing() -> Routes<'static> {
        Routes {
            cfg: None,
            listed: Vec::new(),
        }
    }

    /// Every (method, pattern) registered so far, in order.
    pub fn into_list(self) -> Vec<(Method, &'static str)> {
        self.listed
    }

    method!(get => GET, head => HEAD, post => POST, put => PUT, patch => PATCH, delete => DELETE);

    /// A feature's routes, `routes(self)`.
    pub fn configure(&mut self, routes: impl FnOnce(&mut Self)) -> &mut Self {
        routes(self);
        self
    }

    fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        if let Some(cfg) = self.cfg.as_deref_mut() {
            cfg.route(path, web::method(method.clone()).to(handler));
        }
        self.listed.push((method, path));
        self
    }
}
