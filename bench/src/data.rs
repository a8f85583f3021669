//! Realistic directory data, generated deterministically: people with
//! names from many countries, members of the organization and guests from
//! partner companies in both invitation states, groups (some dynamic),
//! applications with roles.

/// SplitMix64: small, fast, and the same data for the same seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

pub const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Alan",
    "Amara",
    "Ananya",
    "Andrea",
    "Anna",
    "Aarav",
    "Beatriz",
    "Bilal",
    "Camille",
    "Carlos",
    "Chen",
    "Chloé",
    "Daniel",
    "Dmitri",
    "Elena",
    "Élodie",
    "Emma",
    "Farah",
    "Fatima",
    "Felix",
    "Grace",
    "Hana",
    "Hiroshi",
    "Ibrahim",
    "Ines",
    "Ivan",
    "Jamal",
    "Jana",
    "Javier",
    "Jonas",
    "Julia",
    "Kenji",
    "Khadija",
    "Lars",
    "Layla",
    "Leon",
    "Lina",
    "Lucas",
    "Maria",
    "Mateo",
    "Mei",
    "Mohammed",
    "Nadia",
    "Nikolai",
    "Noah",
    "Olga",
    "Omar",
    "Priya",
    "Rafael",
    "Rania",
    "Sakura",
    "Samuel",
    "Sofia",
    "Søren",
    "Tariq",
    "Thandiwe",
    "Tomás",
    "Valentina",
    "Wei",
    "Yara",
    "Yusuf",
    "Zanele",
    "Zoë",
];

pub const LAST_NAMES: &[&str] = &[
    "Abebe",
    "Ahmed",
    "Andersen",
    "Bauer",
    "Becker",
    "Brown",
    "Castillo",
    "Chen",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fernández",
    "Fischer",
    "García",
    "Gonzalez",
    "Haddad",
    "Hansen",
    "Hopper",
    "Ivanova",
    "Jansen",
    "Johnson",
    "Kim",
    "Kowalski",
    "Kumar",
    "Larsen",
    "Lefèvre",
    "Lovelace",
    "Martin",
    "Mendes",
    "Müller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Papadopoulos",
    "Patel",
    "Petrov",
    "Quispe",
    "Rossi",
    "Sato",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Suzuki",
    "Tanaka",
    "Torres",
    "Wang",
    "Weber",
    "Williams",
    "Yamamoto",
    "Yılmaz",
    "Zhang",
    "Ångström",
    "Øberg",
];

/// Partner companies and their mail domains (`.example`: never deliverable).
pub const COMPANIES: &[(&str, &str)] = &[
    ("Fabrikam", "fabrikam.example"),
    ("Northwind Traders", "northwind.example"),
    ("Tailspin Toys", "tailspin.example"),
    ("Wingtip Toys", "wingtip.example"),
    ("Adventure Works", "adventure-works.example"),
    ("Alpine Ski House", "alpineskihouse.example"),
    ("Blue Yonder Airlines", "blueyonder.example"),
    ("Coho Winery", "cohowinery.example"),
    ("Contoso Pharmaceuticals", "contoso-pharma.example"),
    ("Fourth Coffee", "fourthcoffee.example"),
    ("Graphic Design Institute", "gdi.example"),
    ("Humongous Insurance", "humongous.example"),
    ("Litware", "litware.example"),
    ("Lucerne Publishing", "lucernepublishing.example"),
    ("Margie's Travel", "margiestravel.example"),
    ("Proseware", "proseware.example"),
    ("School of Fine Art", "fineart.example"),
    ("Southridge Video", "southridgevideo.example"),
    ("Trey Research", "treyresearch.example"),
    ("Wide World Importers", "wideworldimporters.example"),
    ("Woodgrove Bank", "woodgrovebank.example"),
    ("World Wide Importers", "worldwideimporters.example"),
];

pub const DEPARTMENTS: &[&str] = &[
    "Finance",
    "Legal",
    "Marketing",
    "Sales",
    "Engineering",
    "Support",
    "Procurement",
    "Research",
    "Design",
    "Operations",
    "Security",
    "Partners",
    "Logistics",
    "Quality",
    "Training",
];

pub const APP_NAMES: &[(&str, &str)] = &[
    ("Salesforce", "https://login.salesforce.example"),
    ("DocuSign", "https://account.docusign.example"),
    ("ServiceNow", "https://servicenow.example"),
    ("Workday", "https://workday.example"),
    ("Slack", "https://slack.example"),
    ("Zoom", "https://zoom.example"),
    ("GitHub Enterprise", "https://github.example"),
    ("Jira", "https://jira.example"),
    ("Confluence", "https://confluence.example"),
    ("Box", "https://box.example"),
    ("Dropbox Business", "https://dropbox.example"),
    ("Adobe Sign", "https://adobesign.example"),
    ("Tableau", "https://tableau.example"),
    ("SAP Concur", "https://concur.example"),
    ("Zendesk", "https://zendesk.example"),
    ("HubSpot", "https://hubspot.example"),
    ("Miro", "https://miro.example"),
    ("Figma", "https://figma.example"),
    ("Asana", "https://asana.example"),
    ("Smartsheet", "https://smartsheet.example"),
];

/// The local part of a mail address from a name: ASCII letters only.
pub fn mail_local(first: &str, last: &str) -> String {
    let ascii = |s: &str| -> String {
        s.chars()
            .filter_map(|c| {
                let c = match c {
                    'á' | 'à' | 'å' | 'Å' | 'ä' => 'a',
                    'é' | 'è' | 'É' | 'ë' => 'e',
                    'í' | 'ı' => 'i',
                    'ó' | 'ö' | 'ø' | 'Ø' => 'o',
                    'ú' | 'ü' => 'u',
                    'ñ' => 'n',
                    other => other,
                };
                c.is_ascii_alphabetic().then(|| c.to_ascii_lowercase())
            })
            .collect()
    };
    format!("{}.{}", ascii(first), ascii(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_addresses_are_plain_ascii() {
        assert_eq!(mail_local("Élodie", "Ångström"), "elodie.angstrom");
        assert_eq!(mail_local("Søren", "Yılmaz"), "soren.yilmaz");
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
    }
}
