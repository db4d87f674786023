//! hostabi (to be written)
