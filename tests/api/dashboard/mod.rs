//! The dashboard under `/admin`, as a browser uses it: signing in and out, what guards every
//! request, and each page with its forms, for both roles.

mod broadcasts;
mod ops;
mod people;
mod recruiters;
mod session;
mod tips;
