//! DDM declarations: Apple's envelope and the software-update declarations ringmaster serves.
