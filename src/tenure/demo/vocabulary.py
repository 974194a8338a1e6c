"""The words the demo business is made of: names, companies, products, plans and phrases.

Built in (no Faker download, no network) so that a seed always gives the same business. Email
domains and websites use the reserved ``.example`` top-level domain and example.com/.net/.org
(RFC 2606), and phone numbers come from ranges set aside for fiction, so that the demo can never
reach a real person.
"""

from __future__ import annotations

BUSINESS_NAME = "Kettle & Crane Coffee Roasters"
BUSINESS_DOMAIN = "kettlecrane.example"

FIRST_NAMES = (
    "Ada", "Aiko", "Alejandro", "Amara", "Amelia", "Anders", "Ava", "Bea", "Ben", "Camille",
    "Carlos", "Chen", "Chloe", "Dara", "David", "Elena", "Eli", "Emma", "Farah", "Felix",
    "Fatima", "Freya", "Gabriel", "Grace", "Hana", "Hugo", "Ines", "Isaac", "Isla", "Ivan",
    "Jack", "Jamal", "Jia", "Jonas", "Julia", "Kai", "Kavya", "Lara", "Leo", "Lina",
    "Lucas", "Luca", "Maya", "Mateo", "Mei", "Mia", "Nadia", "Nina", "Noah", "Nora",
    "Olivia", "Omar", "Oscar", "Priya", "Rafael", "Rosa", "Ruby", "Sam", "Sana", "Sara",
    "Sebastian", "Sofia", "Tariq", "Theo", "Tomas", "Uma", "Valentina", "Victor", "Yara", "Yusuf",
    "Zara", "Zoe", "Hamza", "Ingrid", "Kofi", "Leila", "Marta", "Niamh", "Pablo", "Rhea",
)  # fmt: skip

LAST_NAMES = (
    "Abbott", "Adeyemi", "Andersen", "Bauer", "Becker", "Bianchi", "Brennan", "Carter", "Castro",
    "Chen", "Costa", "Dubois", "Evans", "Fernandez", "Fischer", "Garcia", "Greene", "Haddad",
    "Hansen", "Hughes", "Ibrahim", "Ito", "Jensen", "Kaur", "Khan", "Kim", "Kowalski", "Larsen",
    "Laurent", "Lee", "Lindqvist", "Lopez", "Marino", "Martin", "Mensah", "Moreau", "Murphy",
    "Nakamura", "Nguyen", "Novak", "O'Brien", "Okafor", "Olsen", "Park", "Patel", "Petrov",
    "Quinn", "Reyes", "Richter", "Rossi", "Santos", "Sato", "Schmidt", "Silva", "Singh",
    "Smith", "Sokolov", "Suzuki", "Tanaka", "Taylor", "Thompson", "Torres", "Vargas", "Walsh",
    "Weber", "Williams", "Wong", "Yamamoto", "Young", "Zhang", "Ali", "Brooks", "Dalton",
    "Ferreira", "Gallagher", "Horvat", "Ivanova", "Jovanovic", "Kovacs", "Mwangi",
)  # fmt: skip

# (country, share of customers, time zones, phone format with {n} = 0..99): numbers from the
# ranges regulators set aside for drama (NANP 555-01xx, Ofcom 020 7946 0xxx, ACMA 02 5550 xxxx,
# ARCEP 01 99 00 xx xx).
COUNTRIES = (
    ("US", 0.55, ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
     "+1 202 555 01{n:02d}"),
    ("GB", 0.17, ("Europe/London",), "+44 20 7946 0{n:03d}"),
    ("CA", 0.11, ("America/Toronto", "America/Vancouver"), "+1 613 555 01{n:02d}"),
    ("AU", 0.10, ("Australia/Sydney", "Australia/Melbourne"), "+61 2 5550 {n:04d}"),
    ("FR", 0.07, ("Europe/Paris",), "+33 1 99 00 {n:02d} 00"),
)  # fmt: skip
PERSONAL_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

TEAM = (
    # username, first name, last name, role
    ("maya.okafor", "Maya", "Okafor", "manager"),
    ("liam.novak", "Liam", "Novak", "success_manager"),
    ("sofia.rossi", "Sofia", "Rossi", "success_manager"),
    ("kenji.sato", "Kenji", "Sato", "success_manager"),
    ("amara.diallo", "Amara", "Diallo", "success_manager"),
    ("noah.berg", "Noah", "Berg", "analyst"),
)

COMPANY_WORDS = (
    "Harbor", "Summit", "Juniper", "Beacon", "Granite", "Cobalt", "Meridian", "Willow", "Atlas",
    "Lumen", "Orchard", "Falcon", "Cedar", "Northgate", "Riverside", "Keystone", "Bluebird",
    "Ironwood", "Silverline", "Oakridge", "Redwood", "Brightwater", "Sterling", "Evergreen",
    "Copperfield", "Lakeshore", "Pinecrest", "Highland", "Foxglove", "Tidewater",
)  # fmt: skip
COMPANY_KINDS = (
    ("Software", ("Labs", "Systems", "Software")),
    ("Architecture", ("Architects", "Design Studio")),
    ("Legal services", ("Law", "Legal")),
    ("Healthcare", ("Clinic", "Health")),
    ("Coworking", ("Workspaces", "Coworking")),
    ("Hospitality", ("Hotels", "Inn", "Bistro")),
    ("Education", ("Academy", "College")),
    ("Logistics", ("Logistics", "Freight")),
    ("Finance", ("Capital", "Partners")),
    ("Marketing", ("Creative", "Media")),
)
# size band -> share of accounts; budget band weights per size band (low, medium, high, strategic)
SIZE_BANDS = (
    ("1-10", 0.15, (0.55, 0.35, 0.10, 0.00)),
    ("11-50", 0.30, (0.35, 0.45, 0.18, 0.02)),
    ("51-200", 0.30, (0.15, 0.40, 0.35, 0.10)),
    ("201-1000", 0.15, (0.05, 0.25, 0.45, 0.25)),
    ("1000+", 0.10, (0.00, 0.10, 0.40, 0.50)),
)
BUDGET_BANDS = ("low", "medium", "high", "strategic")
CONTACT_ROLES = (
    ("decision_maker", ("Office Manager", "Head of Operations", "Facilities Director")),
    ("champion", ("Coffee Committee Lead", "Team Lead")),
    ("user", ("Barista Lead", "Receptionist", "Kitchen Coordinator")),
    ("billing", ("Accounts Payable", "Finance Manager")),
    ("technical", ("Facilities Technician", "Workplace Engineer")),
    ("executive_sponsor", ("Chief Operating Officer", "Managing Director")),
)

# channel -> (share among consumers, share among business customers)
CHANNELS = (
    ("Organic search", 0.28, 0.15),
    ("Paid social", 0.22, 0.05),
    ("Paid search", 0.15, 0.20),
    ("Referral", 0.13, 0.25),
    ("Newsletter", 0.12, 0.00),
    ("Events", 0.02, 0.20),
    ("Partner", 0.08, 0.15),
)
CATEGORY_HOME, CATEGORY_OFFICE, CATEGORY_ENTERPRISE = "Home", "Office", "Enterprise"

# sku, description, list price
PRODUCTS = (
    ("KC-HB-1K", "House Blend, 1 kg", 32.00),
    ("KC-ESP-500", "Crane Espresso, 500 g", 19.50),
    ("KC-ETH-250", "Ethiopia Yirgacheffe, 250 g", 14.00),
    ("KC-COL-250", "Colombia Huila, 250 g", 13.00),
    ("KC-DEC-500", "Swiss Water Decaf, 500 g", 18.00),
    ("KC-CB-KIT", "Cold Brew Kit", 39.00),
    ("KC-PO-V60", "Ceramic Pour-over Dripper", 27.00),
    ("KC-FLT-100", "Paper Filters (100)", 6.50),
    ("KC-DSC-3", "Descaler, 3 pack", 15.00),
    ("KC-GRN-MAN", "Hand Grinder", 89.00),
    ("KC-OFF-5K", "Office Blend, 5 kg", 135.00),
    ("KC-MUG-2", "Stoneware Mugs (2)", 24.00),
)

# plan, monthly price, yearly price, for business customers only
PLANS = (
    ("Filter Club", 24.00, 240.00, False),
    ("Espresso Club", 29.00, 290.00, False),
    ("Roaster's Choice", 39.00, 390.00, False),
    ("Office Coffee", 149.00, 1490.00, True),
    ("Office Coffee Plus", 299.00, 2990.00, True),
)
CANCELLATION_REASONS = (
    "Too expensive",
    "Drinking less coffee",
    "Switched to a competitor",
    "Moving abroad",
    "Delivery problems",
    "Too much coffee piling up",
)
BUSINESS_CANCELLATION_REASONS = (
    "Budget cut",
    "Office closed",
    "Switched to a competitor",
    "Moved to a vending contract",
)

ROASTS = ("light", "medium", "dark", "decaf")
BREW_METHODS = ("espresso", "filter", "french press", "cold brew", "moka pot", "aeropress")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
BUSINESS_SPECIAL_DATE = "Company anniversary"

# kind -> (subject, body); bodies may use {first} and {product}
CONVERSATIONS = {
    "call": (
        ("Check-in call", "Called {first} to ask how the last delivery went. Happy so far."),
        ("Onboarding call", "Walked {first} through grind sizes and storage."),
        (
            "Follow-up on last order",
            "{first} liked the {product}; suggested trying a lighter roast.",
        ),
        ("Renewal conversation", "Discussed next year's volumes; {first} will confirm by email."),
    ),
    "meeting": (
        ("Tasting session", "Cupping of three single origins with {first}'s team."),
        ("Quarterly business review", "Reviewed orders and delivery times with {first}."),
        ("Onboarding workshop", "Trained the team on the espresso machine and cleaning."),
    ),
    "email": (
        ("Welcome to Kettle & Crane", "Welcome email with brewing guides and how to reach us."),
        ("How is your first bag?", "Asked {first} for feedback on the {product}."),
        ("Seasonal blend preview", "Shared the winter blend notes; {first} asked for a sample."),
        ("Invoice copy", "Sent {first} a copy of the last invoice as requested."),
    ),
    "note": (
        ("Preferences", "{first} prefers email to phone calls."),
        ("Price sensitivity", "{first} mentioned prices twice; avoid upselling."),
        ("Office move", "{first}'s team moves offices next quarter; update the address."),
        ("Next time", "Ask {first} about the hand grinder next time."),
    ),
}
COMPLAINTS = (
    ("Order arrived damaged", "The bag of {product} was torn on arrival.",
     "Sent a replacement and a 15% voucher."),
    ("Late delivery", "The order arrived a week late.",
     "Apologised; the courier was changed for this postcode."),
    ("Wrong grind", "Received espresso grind instead of whole beans.",
     "Re-shipped whole beans the next day."),
    ("Charged twice", "{first} was charged twice for one order.",
     "Refunded the duplicate charge."),
    ("Beans tasted stale", "The {product} tasted flat, roast date two months old.",
     "Refunded the order and checked the stock rotation."),
)  # fmt: skip
TICKETS = (
    ("Change delivery address", "Please send future orders to the new address.",
     "Address updated."),
    ("Pause subscription", "{first} is travelling and wants to skip a month.",
     "Skipped next month's shipment."),
    ("Update card details", "The card on file expired.", "Sent a secure link; card updated."),
    ("Descaling question", "How often should the machine be descaled?",
     "Sent the descaling guide: every 2 months with hard water."),
    ("Cannot log in to the shop", "Password reset email did not arrive.",
     "Reset the password manually; the email was in spam."),
)  # fmt: skip

# What customers write under a survey answer, by how they feel; most answers carry no comment.
SURVEY_COMMENTS = {
    "promoter": (
        "Best coffee we have had in years.",
        "Always fresh, always on time. Told my colleagues about you.",
        "The {product} is a daily ritual now.",
        "Friendly team and great brewing advice.",
    ),
    "passive": (
        "Good coffee, a bit pricey.",
        "Fine overall; deliveries could be faster.",
        "Liked the {product}, the rest was average.",
    ),
    "detractor": (
        "Stale beans twice in a row.",
        "Too expensive for what it is.",
        "Delivery problems and nobody called back.",
        "The {product} was not what I expected.",
    ),
}
SURVEY_CHANNELS = {"nps": (("email", 0.7), ("in-app", 0.3)),
                   "csat": (("email", 0.6), ("in-app", 0.25), ("phone", 0.15))}  # fmt: skip
