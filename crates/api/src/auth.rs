//! Who is asking: the [`Authenticator`] checks a bearer token (one of ours, see
//! [`crate::tokens`], or one of a configured external OpenID Connect issuer, see
//! [`crate::oidc`]) and finds its account through the service. Handlers take it as an
//! extractor: [`AuthUser`] (a token required), [`MaybeUser`] (optional) or [`AdminUser`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{FromRequest, HttpRequest, web};
use omics_domain::{Code, Role};
use omics_service::{Actor, Service};
use uuid::Uuid;

use crate::error::ApiError;
use crate::oidc::Oidc;
use crate::tokens::TokenKeys;

pub use crate::tokens::{AUDIENCE, ISSUER};

/// Checks bearer tokens and finds their accounts (registered as app data beside the state).
pub struct Authenticator {
    pub tokens: TokenKeys,
    /// The external OpenID Connect issuer, when one is configured.
    pub oidc: Option<Oidc>,
    pub service: Arc<Service>,
}

/// The signed-in account making the request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
    pub email: String,
    pub display_name: String,
}

impl AuthUser {
    /// The account as the service sees it.
    pub fn actor(&self) -> Actor {
        Actor { id: self.id, role: self.role }
    }
}

impl From<omics_store::User> for AuthUser {
    fn from(u: omics_store::User) -> Self {
        AuthUser { id: u.id, role: u.role, email: u.email, display_name: u.display_name }
    }
}

/// The account, if the request carries a token; a present but bad token is still refused.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<AuthUser>);

impl MaybeUser {
    pub fn actor(&self) -> Option<Actor> {
        self.0.as_ref().map(AuthUser::actor)
    }
}

/// A signed-in admin: 401 without a token, 403 for any other role.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(h) = req.headers().get(actix_web::http::header::AUTHORIZATION) else { return Ok(None) };
    let h = h.to_str().map_err(|_| ApiError::new(Code::InvalidToken, "the Authorization header is not readable"))?;
    match h.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(Some(token.trim().to_owned())),
        _ => Err(ApiError::new(Code::InvalidToken, "use 'Authorization: Bearer <token>'")),
    }
}

impl Authenticator {
    /// The account a bearer token names, `None` without a token.
    async fn authenticate(&self, token: Option<String>) -> Result<Option<AuthUser>, ApiError> {
        let Some(token) = token else { return Ok(None) };
        // A token naming the external issuer is verified only against that issuer's keys and
        // algorithms; every other token only as one of ours (HS256, our `iss`).
        if let Some(oidc) = &self.oidc
            && oidc.claims_to_be_from(&token)
        {
            let header = jsonwebtoken::decode_header(&token).map_err(crate::oidc::refused)?;
            let identity = oidc.verify(&token, &header).await?;
            let (service, issuer) = (self.service.clone(), oidc.issuer().to_owned());
            let user = web::block(move || service.external_account(&issuer, identity)).await??;
            return Ok(Some(user.into()));
        }
        let claims = self.tokens.verify(&token)?;
        let id = Uuid::parse_str(&claims.sub).map_err(|_| ApiError::new(Code::InvalidToken, "the token's subject is not an account id"))?;
        let service = self.service.clone();
        let user = web::block(move || service.account(id)).await??;
        let revoked =
            || ApiError::new(Code::InvalidToken, "the token was revoked (account removed or password changed); request a new one");
        let user = user.ok_or_else(revoked)?;
        if user.external.is_some() || user.token_version != claims.tv || user.role.as_str() != claims.role {
            return Err(revoked());
        }
        Ok(Some(user.into()))
    }
}

async fn authenticate(req: HttpRequest) -> Result<Option<AuthUser>, ApiError> {
    let token = bearer(&req)?;
    let auth = req.app_data::<web::Data<Authenticator>>().ok_or_else(|| ApiError::internal("no authenticator"))?.clone();
    auth.authenticate(token).await
}

async fn required(req: HttpRequest) -> Result<AuthUser, ApiError> {
    authenticate(req).await?.ok_or_else(|| {
        ApiError::new(Code::MissingToken, "this operation needs 'Authorization: Bearer <token>'; get one at /api/v1/auth/token")
    })
}

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Extracted<Self>;
    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(MaybeUser) })
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Extracted<Self>;
    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(required(req.clone()))
    }
}

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = Extracted<Self>;
    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = required(req).await?;
            user.actor().require_admin("this operation")?;
            Ok(AdminUser(user))
        })
    }
}
