//! DDM software-update policies: the admin-facing model, its validation, and the default rings.
