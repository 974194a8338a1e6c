"""Write ``themes_answers.csv``: 500 survey comments around 5 planted topics, for the themes test.

Run from the repository root, ``python tests/analytics/data/make_themes_answers.py``; the file
comes out byte for byte the same each time (one ``random.Random(16)``, no other source of
chance), so the committed CSV is this script's output and can be reviewed as text.

The comments are written the way people answer a survey's free-text question, not from a small
grid: each topic has some 30 phrasings with synonyms in their slots, answers run from 3 to 60
words (one to four sentences), some open or close with words that belong to no topic ("to be
honest", "thanks"), about one in seven mentions a second topic in passing, words are misspelt
(common misspellings and random slips), some are negated ("not late this time") and about 7 %
are off-topic or too short to mean anything ("ok", "n/a"), planted as ``none``.

Columns: ``id`` (1-500), ``topic`` (delivery, billing, quality, support, usability or none)
and ``text``.
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

SEED = 16
OUT = Path(__file__).with_name("themes_answers.csv")
# Answers per topic (the planted sizes are uneven on purpose) and the off-topic ones.
SIZES = {"delivery": 104, "billing": 96, "quality": 92, "support": 88, "usability": 85}
NONE = 35

SLOTS = {
    "parcel": ["parcel", "package", "order", "delivery", "box", "shipment", "item", "stuff"],
    "courier": [
        "courier",
        "driver",
        "delivery guy",
        "postman",
        "DPD",
        "carrier",
        "UPS",
        "delivery company",
        "Royal Mail",
        "Hermes driver",
    ],
    "late": ["late", "delayed", "overdue", "really late", "behind schedule", "very late"],
    "days": [
        "three days",
        "a week",
        "10 days",
        "two weeks",
        "nearly a month",
        "5 days",
        "over a fortnight",
        "4 working days",
        "ages",
    ],
    "invoice": ["invoice", "bill", "statement", "receipt", "invoices", "monthly bill"],
    "charged": ["charged", "billed", "debited", "overcharged", "invoiced"],
    "amount": [
        "the wrong amount",
        "twice",
        "double",
        "40 pounds extra",
        "for a month I cancelled",
        "full price instead of the discounted one",
        "for items I returned",
        "in dollars not euros",
    ],
    "money": ["refund", "reimbursement", "partial refund", "credit"],
    "name": ["Sarah", "Tom", "Priya", "Marco", "Jess", "Kevin"],
    "product": [
        "jacket",
        "chair",
        "kettle",
        "boots",
        "blender",
        "table",
        "backpack",
        "mattress",
        "headphones",
        "sofa",
        "pan set",
        "coat",
        "product",
    ],
    "great": [
        "excellent",
        "superb",
        "fantastic",
        "brilliant",
        "top notch",
        "solid",
        "great",
        "amazing",
        "really good",
        "outstanding",
    ],
    "agent": [
        "the agent",
        "the advisor",
        "the lady on the phone",
        "the guy on live chat",
        "Sarah",
        "Tom from support",
        "your support team",
        "the customer service rep",
        "the representative",
        "customer services",
        "Priya",
        "the helpdesk",
    ],
    "helpful": [
        "helpful",
        "patient",
        "friendly",
        "kind",
        "knowledgeable",
        "polite",
        "understanding",
        "professional",
    ],
    "app": [
        "app",
        "website",
        "site",
        "web page",
        "portal",
        "mobile app",
        "online shop",
        "iPhone app",
        "android app",
        "web site",
    ],
}

TOPICS = {
    "delivery": [
        "My {parcel} arrived {days} {late}.",
        "Delivery took {days}, way longer than the date promised.",
        "Still waiting on my {parcel}, tracking hasn't updated since Monday.",
        "The {courier} left it at the wrong address.",
        "{parcel} was {late} again.",
        "Shipping is far too slow.",
        "Dispatch took forever and then the {courier} lost it.",
        "It said next day delivery but it came {days} later.",
        "The tracking number never worked.",
        "Nobody told me the {parcel} was {late}.",
        "Estimated delivery date kept moving back.",
        "Had to take a day off work to wait for the {courier} and nobody showed up.",
        "My {parcel} sat in a depot for {days}.",
        "Missed my sons birthday because the present turned up {late}.",
        "Paid for express postage and got standard speed.",
        "Second time this year my order was {late}.",
        "Deliveries are never on time.",
        "Got a sorry we missed you card even though I was in all day.",
        "The shipment was split in three and one part still hasn't arrived.",
        "Arrived on time for once, not {late} like usual.",
        "Delivery was not as quick as advertised.",
        "Waited {days} for something the site said was in stock.",
        "Please sort out your shipping partner.",
        "The {courier} threw the box over the fence.",
        "An 8am to 8pm delivery slot is useless when you work.",
        "The {parcel} was delivered to a neighbour with no note.",
        "Dispatched late and arrived even later.",
        "Took ages to arrive.",
        "Late again, annoying.",
        "When will my {parcel} actually arrive??",
        "No delays this time, the {courier} came the next morning.",
        "Shipping to Ireland takes {days}, other shops manage in two.",
    ],
    "billing": [
        "I was {charged} {amount}.",
        "The {invoice} had the wrong VAT number on it.",
        "Still waiting for my {money} after {days}.",
        "Payment was taken twice from my card.",
        "Your {invoice} lists things I never ordered.",
        "Billing is a mess, three different amounts in one month.",
        "The direct debit went out early and my bank charged me a fee.",
        "Can't get a copy of my {invoice} for the accountant.",
        "The discount code wasn't applied to the {invoice}.",
        "Got a credit note when I asked for a cash refund.",
        "Subscription renewed without warning and the price went up.",
        "Our company name is misspelled on the {invoice}.",
        "Invoices are never right, our finance team corrects them every month.",
        "Why do I pay a surcharge for paying by card?",
        "The {money} took {days} to show up in my account.",
        "The total on the {invoice} didn't match the quote.",
        "I cancelled but you keep billing me.",
        "Please put our PO number on invoices or we can't pay them.",
        "{charged} for postage on a free delivery offer.",
        "Tax was calculated wrong on my {invoice}.",
        "The billing address is wrong on every {invoice} though I updated it twice.",
        "No problem with the {invoice} this time, the amount was correct.",
        "I don't understand half the charges on my {invoice}.",
        "Pricing isn't transparent, hidden fees everywhere.",
        "Invoice was wrong.",
        "Being {charged} {amount} is not acceptable.",
        "Annual plan was {charged} monthly instead.",
        "Three emails about an overdue payment I had already made.",
        "The payment reference on the {invoice} doesn't exist.",
        "Late payment fee added even though I paid on time.",
        "You still owe me a {money} for the broken one.",
    ],
    "quality": [
        "The {product} is {great} quality.",
        "Really well made, feels like it will last for years.",
        "Sturdy, solid materials, nothing cheap about it.",
        "Best {product} I have ever owned.",
        "The stitching and finish are {great}.",
        "Quality exceeded my expectations for the price.",
        "Durable, still looks new after months of daily use.",
        "Great value for money, very happy with the build.",
        "The fabric is soft and thick, washed it loads of times and no fading.",
        "Works perfectly and does exactly what it says.",
        "You can tell it's premium, the craftsmanship is lovely.",
        "Not flimsy at all like the cheaper brands.",
        "Bought a second {product} for my mum because the first is so good.",
        "Lovely {product}, beautiful design and feels robust.",
        "Top quality, would buy again.",
        "Great quality, thanks.",
        "The {product} is heavy duty and well built.",
        "Love it, gorgeous colour and {great} materials.",
        "Holding up great after a year of use.",
        "Nothing broke, nothing wobbles, very solid.",
        "The sound on the headphones is {great}.",
        "Comfortable and well made.",
        "The little details, zips, seams, handles, all perfect.",
        "Very pleased with the {product}, {great} craftsmanship.",
        "Quality is {great}, the leather is thick and smells amazing.",
        "My old {product} lasted two years, this one feels built for ten.",
        "The materials feel expensive.",
        "Genuinely impressed by how well the {product} is made.",
        "Solid wood, no wobble, quality you don't see any more.",
        "The {product} didn't feel cheap or plasticky at all.",
        "Absolutely love the quality, worth every penny.",
    ],
    "support": [
        "{agent} was very {helpful} and sorted it out straight away.",
        "Customer service were {helpful}, problem resolved in one call.",
        "Called support and they fixed my problem in minutes.",
        "The live chat team answered all my questions.",
        "Great support, they went above and beyond.",
        "They replied to my email within an hour.",
        "Spoke to {agent}, who explained everything clearly.",
        "Support was {helpful} with me even though I'm hopeless with technology.",
        "Excellent customer care, they really listened.",
        "Nothing was too much trouble for your staff.",
        "They called me back when they said they would.",
        "On hold for 40 minutes but once I got through the person was lovely.",
        "Support took far too long to answer my ticket.",
        "Nobody in customer service could give me a straight answer.",
        "Thank you {name} for your help!",
        "The team helped me choose the right size over the phone.",
        "My complaint was escalated and the manager solved it, great service.",
        "Friendly staff on the phone, very reassuring.",
        "{agent} could not have been more {helpful}.",
        "Shout out to the service team.",
        "Very helpful staff.",
        "The chatbot was useless but the human agent was {helpful}.",
        "Really {helpful} advice from {agent}.",
        "I emailed three times before anyone replied.",
        "Support staff were rude and unhelpful.",
        "They solved it on the first call, no transferring around.",
        "{agent} followed up the next day to check it was all fine.",
        "Your service desk is the reason I stay.",
        "Got a real person quickly and they knew the answer.",
        "Customer support was {helpful} and quick to respond.",
        "The call centre kept me waiting but the advisor was {helpful}.",
    ],
    "usability": [
        "The {app} keeps crashing when I open my account.",
        "Checkout on the {app} is confusing.",
        "Can't find anything with the search, the results are useless.",
        "Logging in is a nightmare, the password reset link never works.",
        "The {app} is slow to load on my phone.",
        "The menu is cluttered and hard to navigate.",
        "Easy to use {app}, found what I needed quickly.",
        "Buttons are too small on mobile.",
        "App keeps crashing.",
        "The filters on the {app} don't work properly.",
        "The new design of the {app} is worse than the old one.",
        "Kept getting an error page when adding to basket.",
        "The {app} logs me out every few minutes.",
        "Couldn't change my address in the account settings.",
        "The {app} is intuitive and clean.",
        "The page froze at the last step and I had to start again.",
        "Dark mode please, the screen is too bright at night.",
        "Product pages on the {app} take forever to load.",
        "Too many pop ups on the {app}.",
        "Navigation is clunky, five clicks to find my orders.",
        "The last update broke the login with face ID.",
        "The {app} doesn't work with a screen reader.",
        "Why does the {app} need my location?",
        "Fonts are tiny and the layout jumps around while loading.",
        "Using the {app} was simple and smooth.",
        "The {app} won't let me save items to a wishlist.",
        "Every time I rotate the phone the {app} goes back to the home screen.",
        "Sign up form rejects my postcode.",
        "Browsing the {app} on a tablet is awkward, everything is stretched.",
        "The {app} is user friendly, even my dad manages.",
        "Search bar doesn't understand simple spelling mistakes.",
    ],
}

# One short sentence in passing, for an answer that mostly talks about something else.
ASIDES = {
    "delivery": ["Delivery was a bit slow.", "It came a day late.", "Shipping was fine."],
    "billing": ["The invoice was fine.", "Price is a bit high.", "Refund still pending."],
    "quality": ["Product is great.", "Good quality as always.", "Nice product."],
    "support": ["Support was helpful.", "Thanks to the support team.", "The agent was nice."],
    "usability": ["The app is ok.", "Website is easy.", "Ordering online was easy."],
}

OPENERS = [
    "To be honest,",
    "Honestly",
    "Well,",
    "Hmm.",
    "Overall",
    "tbh",
    "As always,",
    "So,",
    "First time ordering and",
    "I have been a customer for years and",
    "Ordered for my wife,",
    "Not much to say but",
    "Where do I start.",
    "Ok so",
    "Just to say,",
]
CLOSERS = [
    "Thanks.",
    "Cheers",
    "Will order again.",
    "Not impressed.",
    "Very happy.",
    "5 stars",
    "Disappointed.",
    "Please fix this.",
    "Otherwise ok.",
    "Thank you!",
    "lol",
    ":(",
    ":)",
    "Would recommend.",
    "That's all.",
    "Keep it up",
    "Not happy at all.",
    "Many thanks",
]
OFF_TOPIC = [
    "ok",
    "n/a",
    "na",
    "-",
    "nothing to add",
    "no comment",
    "good",
    "fine",
    "all good",
    "nope",
    "see above",
    "why so many surveys",
    "Happy Christmas everyone",
    "?",
    "10",
    "not sure",
    "asdf",
    "my cat sat in the box all day haha",
    "I answered this survey last week",
    "The weather here has been awful",
    "meh",
    "Nothing",
    "no",
    "Keep up the good work",
    "It's for my brother, ask him",
    "Great",
    "dunno",
    "N/A thanks",
    "none",
    ".",
    "Bought it as a gift",
    "I'm retired and have plenty of time",
    "hello",
    "first!",
    "yes",
]
# Misspellings people make, and the words they make them in.
MISSPELT = {
    "received": "recieved",
    "definitely": "definately",
    "until": "untill",
    "disappointed": "dissapointed",
    "delivered": "deliverd",
    "invoice": "invioce",
    "customer": "custmer",
    "website": "wesbite",
    "arrived": "arived",
    "quality": "qualty",
    "helpful": "helpfull",
    "package": "pakage",
    "separate": "seperate",
    "charged": "charegd",
    "service": "servcie",
    "really": "realy",
    "tracking": "traking",
    "account": "acount",
    "excellent": "excelent",
    "crashing": "crasing",
    "address": "adress",
}


def _fill(sentence: str, rng: random.Random) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: rng.choice(SLOTS[m.group(1)]), sentence)


def _slip(word: str, rng: random.Random) -> str:
    """A typing slip: two letters swapped, one dropped or one doubled."""
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def _misspell(text: str, rng: random.Random) -> str:
    words = []
    for word in text.split(" "):
        bare = word.strip(".,!?").lower()
        if bare in MISSPELT and rng.random() < 0.3:
            word = word.lower().replace(bare, MISSPELT[bare])
        elif rng.random() < 0.025:
            word = _slip(word, rng)
        words.append(word)
    return " ".join(words)


def _style(text: str, rng: random.Random) -> str:
    """How people type: some all in lower case, some without the final stop."""
    roll = rng.random()
    if roll < 0.2:
        text = text.lower()
    elif roll < 0.25:
        text = text.replace(".", "")
    return text


def answer(topic: str, rng: random.Random) -> str:
    """One comment about ``topic``: 1-4 sentences, an opener, a closer, an aside, slips."""
    count = rng.choices([1, 2, 3, 4], weights=[40, 33, 18, 9])[0]
    sentences = [_fill(s, rng) for s in rng.sample(TOPICS[topic], count)]
    if rng.random() < 0.15:
        other = rng.choice([t for t in TOPICS if t != topic])
        sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(ASIDES[other]))
    if rng.random() < 0.25:
        opener = rng.choice(OPENERS)
        sentences[0] = f"{opener} {sentences[0][0].lower()}{sentences[0][1:]}"
    if rng.random() < 0.3:
        sentences.append(rng.choice(CLOSERS))
    text = " ".join(sentences)
    while len(text.split()) > 60:
        sentences.pop(rng.randrange(len(sentences)))
        text = " ".join(sentences)
    return _style(_misspell(text, rng), rng)


def answers(seed: int = SEED) -> list[tuple[str, str]]:
    """The (topic, text) pairs, shuffled."""
    rng = random.Random(seed)
    rows = [(topic, answer(topic, rng)) for topic, n in SIZES.items() for _ in range(n)]
    rows += [("none", rng.choice(OFF_TOPIC)) for _ in range(NONE)]
    rng.shuffle(rows)
    return rows


def main() -> None:
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "topic", "text"])
        for number, (topic, text) in enumerate(answers(), start=1):
            writer.writerow([number, topic, text])


if __name__ == "__main__":
    main()
