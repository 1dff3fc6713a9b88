//! The SCIM protocol, free of HTTP and SQL: schema model, filters, paths, PATCH, resource
//! rendering, list parameters, discovery documents and the error type.

pub mod error;
pub mod filter;
pub mod list;
pub mod patch;
pub mod path;
pub mod resource;
pub mod schema;
pub mod time;

pub use error::{ScimError, ScimResult, ScimType};
