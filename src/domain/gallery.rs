//! The built-in gallery: a few well-known applications an admin can add
//! with their sign-in page and app roles filled in. Tiles are generated
//! monograms (`app_logo::monogram_svg`), never the vendors' logos.

pub use crate::domain::app_logo::monogram_svg;

/// An app role that a gallery application brings along.
#[derive(Clone, Copy, Debug)]
pub struct GalleryRole {
    pub display_name: &'static str,
    pub description: &'static str,
    pub value: &'static str,
}

#[derive(Clone, Copy, Debug)]
pub struct GalleryApp {
    /// Stable key, stored as the application's `gallery_key`.
    pub key: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    /// The vendor's public sign-in page.
    pub homepage_url: &'static str,
    pub roles: &'static [GalleryRole],
}

pub const GALLERY: &[GalleryApp] = &[
    GalleryApp {
        key: "docusign",
        name: "DocuSign",
        summary: "Electronic signatures and agreements.",
        homepage_url: "https://account.docusign.com/",
        roles: &[
            GalleryRole {
                display_name: "DocuSign Sender",
                description: "Sends envelopes for signature.",
                value: "DocuSignSender",
            },
            GalleryRole {
                display_name: "DocuSign Viewer",
                description: "Views and signs envelopes sent to them.",
                value: "DocuSignViewer",
            },
        ],
    },
    GalleryApp {
        key: "salesforce",
        name: "Salesforce",
        summary: "Customer relationship management.",
        homepage_url: "https://login.salesforce.com/",
        roles: &[
            GalleryRole {
                display_name: "Standard User",
                description: "Works with records shared with them.",
                value: "StandardUser",
            },
            GalleryRole {
                display_name: "Read Only",
                description: "Views records without changing them.",
                value: "ReadOnly",
            },
        ],
    },
    GalleryApp {
        key: "slack",
        name: "Slack",
        summary: "Team chat and channels.",
        homepage_url: "https://slack.com/signin",
        roles: &[
            GalleryRole {
                display_name: "Member",
                description: "A full member of the workspace.",
                value: "Member",
            },
            GalleryRole {
                display_name: "Guest",
                description: "Reaches only the channels they are invited to.",
                value: "Guest",
            },
        ],
    },
    GalleryApp {
        key: "github",
        name: "GitHub",
        summary: "Code hosting and collaboration.",
        homepage_url: "https://github.com/login",
        roles: &[
            GalleryRole {
                display_name: "Member",
                description: "A member of the organization.",
                value: "Member",
            },
            GalleryRole {
                display_name: "Outside Collaborator",
                description: "Works on the repositories they are given.",
                value: "OutsideCollaborator",
            },
        ],
    },
    GalleryApp {
        key: "zoom",
        name: "Zoom",
        summary: "Video meetings and webinars.",
        homepage_url: "https://zoom.us/signin",
        roles: &[GalleryRole {
            display_name: "Licensed",
            description: "Hosts meetings without a time limit.",
            value: "Licensed",
        }],
    },
    GalleryApp {
        key: "servicenow",
        name: "ServiceNow",
        summary: "IT service management.",
        homepage_url: "https://signon.service-now.com/",
        roles: &[
            GalleryRole {
                display_name: "ITIL User",
                description: "Works incidents, problems and changes.",
                value: "itil",
            },
            GalleryRole {
                display_name: "Approver",
                description: "Approves requests assigned to them.",
                value: "approver_user",
            },
            GalleryRole {
                display_name: "Requester",
                description: "Raises requests in the service portal.",
                value: "requester",
            },
        ],
    },
];

/// The gallery application with this key.
pub fn find(key: &str) -> Option<&'static GalleryApp> {
    GALLERY.iter().find(|app| app.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::application::{AppName, RoleFields};
    use crate::domain::redirect::RedirectUrl;

    #[test]
    fn every_gallery_entry_is_a_valid_application() {
        assert!(find("docusign").is_some_and(|d| d.roles.len() == 2));
        assert!(find("myspace").is_none());
        for app in GALLERY {
            assert!(AppName::parse(app.name).is_ok(), "{}", app.name);
            assert!(RedirectUrl::parse(app.homepage_url).is_ok(), "{}", app.homepage_url);
            assert!((1..=3).contains(&app.roles.len()), "{}", app.name);
            for role in app.roles {
                assert!(RoleFields::parse(role.display_name, role.description, role.value).is_ok());
                assert_ne!(role.display_name, crate::domain::application::DEFAULT_ACCESS);
            }
            assert_eq!(GALLERY.iter().filter(|a| a.key == app.key).count(), 1);
        }
    }
}
