"""Per-category word lists the catalog draws product titles, options and prices from.

Kept as plain immutable data so the catalog's cache key can hash it: change a word here and
every cached database is rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CategoryVocab", "VOCAB", "REVIEW_AUTHORS", "REVIEW_TEXTS"]


@dataclass(frozen=True)
class CategoryVocab:
    """Words for one category. ``options`` maps an option name to its possible values."""

    name: str
    brands: tuple[str, ...]
    nouns: tuple[str, ...]
    features: tuple[str, ...]
    specs: tuple[str, ...]
    options: tuple[tuple[str, tuple[str, ...]], ...]
    price: tuple[float, float]
    blurb: str


COLORS = ("Black", "White", "Navy", "Gray", "Red", "Blue", "Green", "Beige", "Pink", "Olive")
APPAREL_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
SHOE_SIZES = ("6", "7", "8", "9", "10", "11", "12")

VOCAB: tuple[CategoryVocab, ...] = (
    CategoryVocab(
        "Laptops",
        ("Acme", "Lumina", "Vertex", "Nimbus", "Orion", "Kestrel", "Zephyr"),
        ("Laptop", "Notebook", "Ultrabook", "Chromebook", "Gaming Laptop"),
        (
            "Thin",
            "Lightweight",
            "Touchscreen",
            "2-in-1",
            "Business",
            "Student",
            "Backlit Keyboard",
            "Fingerprint Reader",
            "Long Battery",
        ),
        (
            "14 inch, 8GB RAM, 256GB SSD",
            "15.6 inch, 16GB RAM, 512GB SSD",
            "13.3 inch, 8GB RAM, 128GB SSD",
            "16 inch, 32GB RAM, 1TB SSD",
            "",
        ),
        (("color", ("Silver", "Space Gray", "Black", "Blue")), ("storage", ("256GB", "512GB", "1TB"))),
        (249.0, 1899.0),
        "A dependable machine for work, school and streaming.",
    ),
    CategoryVocab(
        "Headphones",
        ("Acme", "SoundWave", "Aurio", "Beatline", "Pulse", "Hushly", "Tonic"),
        ("Headphones", "Earbuds", "Over-Ear Headphones", "On-Ear Headphones", "Headset"),
        ("Wireless", "Bluetooth", "Noise Cancelling", "Foldable", "Sport", "Studio", "Bass Boost", "Kids", "Gaming"),
        ("40 Hour Battery", "with Microphone", "with Charging Case", "Sweatproof", ""),
        (("color", COLORS[:6]),),
        (15.0, 399.0),
        "Clear sound and a comfortable fit for all-day listening.",
    ),
    CategoryVocab(
        "Running Shoes",
        ("Stride", "Fleetfoot", "Apex", "Trailblaze", "Momentum", "Swiftly"),
        ("Running Shoes", "Trail Running Shoes", "Road Running Shoes", "Sneakers", "Racing Flats"),
        ("Mens", "Womens", "Lightweight", "Cushioned", "Breathable", "Waterproof", "Wide", "Stability", "Neutral"),
        ("", "", "Mesh Upper", "Carbon Plate"),
        (("color", COLORS[:7]), ("size", SHOE_SIZES)),
        (39.0, 229.0),
        "Springy cushioning and a secure fit mile after mile.",
    ),
    CategoryVocab(
        "T-Shirts",
        ("Basics Co", "Cottonwood", "Urban Thread", "Everwear", "Northline", "Plainly"),
        ("T-Shirt", "Crew Neck T-Shirt", "V-Neck T-Shirt", "Graphic Tee", "Pocket Tee"),
        (
            "Mens",
            "Womens",
            "Organic Cotton",
            "Slim Fit",
            "Relaxed Fit",
            "Moisture Wicking",
            "Heavyweight",
            "Soft",
            "Pack of 3",
        ),
        ("", "", "Short Sleeve", "Long Sleeve"),
        (("color", COLORS), ("size", APPAREL_SIZES)),
        (8.0, 45.0),
        "Everyday comfort that holds its shape wash after wash.",
    ),
    CategoryVocab(
        "Coffee Makers",
        ("Brewster", "Morning Co", "Acme", "Crema", "Barista Pro", "Kettleworks"),
        (
            "Coffee Maker",
            "Espresso Machine",
            "French Press",
            "Pour Over Coffee Maker",
            "Cold Brew Maker",
            "Single Serve Coffee Maker",
        ),
        (
            "Programmable",
            "Stainless Steel",
            "12 Cup",
            "Compact",
            "Automatic",
            "Thermal Carafe",
            "Drip",
            "Glass",
            "Milk Frother",
        ),
        ("", "with Grinder", "with Timer", "BPA Free"),
        (("color", ("Black", "Stainless", "White", "Red")),),
        (19.0, 649.0),
        "Brews a rich, hot cup the way you like it.",
    ),
    CategoryVocab(
        "Backpacks",
        ("Trailhead", "Packwell", "Nomad", "Summit", "Carryall", "Urban Thread"),
        ("Backpack", "Laptop Backpack", "Hiking Backpack", "Travel Backpack", "Daypack", "School Backpack"),
        (
            "Water Resistant",
            "Anti Theft",
            "Lightweight",
            "Large",
            "Rolltop",
            "USB Charging",
            "Padded",
            "Durable",
            "Carry On",
        ),
        ("30L", "20L", "40L", "fits 15.6 inch Laptop", ""),
        (("color", COLORS[:8]),),
        (19.0, 189.0),
        "Room for the essentials, comfortable on the move.",
    ),
    CategoryVocab(
        "Smartwatches",
        ("Pulse", "Chronos", "Acme", "Fitly", "Orion", "Tempo"),
        ("Smartwatch", "Fitness Tracker", "Sports Watch", "GPS Watch", "Kids Smartwatch"),
        (
            "Waterproof",
            "Heart Rate",
            "Sleep Tracking",
            "Bluetooth",
            "AMOLED",
            "Slim",
            "Rugged",
            "Blood Oxygen",
            "Long Battery",
        ),
        ("", "for Android and iPhone", "with GPS", "7 Day Battery"),
        (("color", ("Black", "Silver", "Rose Gold", "Blue", "Green")), ("size", ("40mm", "44mm"))),
        (29.0, 449.0),
        "Tracks your day and keeps notifications on your wrist.",
    ),
    CategoryVocab(
        "Water Bottles",
        ("Hydra", "Summit", "Ecoflask", "Trailhead", "Sipwell", "Glacier"),
        ("Water Bottle", "Insulated Water Bottle", "Tumbler", "Sports Bottle", "Kids Water Bottle"),
        (
            "Stainless Steel",
            "Vacuum Insulated",
            "Leakproof",
            "BPA Free",
            "Wide Mouth",
            "Straw Lid",
            "Collapsible",
            "Glass",
            "Motivational",
        ),
        ("24 oz", "32 oz", "40 oz", "18 oz", ""),
        (("color", COLORS[:9]),),
        (7.0, 49.0),
        "Keeps drinks cold for hours and fits in most cup holders.",
    ),
    CategoryVocab(
        "Desk Lamps",
        ("Lumina", "Brightside", "Acme", "Glowhaus", "Halo", "Nordlys"),
        ("Desk Lamp", "LED Desk Lamp", "Architect Lamp", "Clip On Lamp", "Reading Lamp"),
        (
            "Dimmable",
            "USB Charging",
            "Touch Control",
            "Eye Caring",
            "Adjustable",
            "Wireless Charger",
            "Modern",
            "Metal",
            "Foldable",
        ),
        ("", "5 Color Modes", "with Timer", "10W"),
        (("color", ("Black", "White", "Silver", "Gold")),),
        (14.0, 129.0),
        "Even, flicker-free light for late nights at the desk.",
    ),
    CategoryVocab(
        "Yoga Mats",
        ("Zenflow", "Stretchly", "Fitly", "Lotus", "Groundwork", "Balance"),
        ("Yoga Mat", "Exercise Mat", "Travel Yoga Mat", "Pilates Mat", "Thick Yoga Mat"),
        (
            "Non Slip",
            "Extra Thick",
            "Eco Friendly",
            "Cork",
            "TPE",
            "Foldable",
            "Wide",
            "Alignment Lines",
            "Lightweight",
        ),
        ("6mm", "1/4 inch", "with Carrying Strap", "72 x 24 inch", ""),
        (("color", ("Purple", "Black", "Blue", "Green", "Pink", "Gray")),),
        (12.0, 119.0),
        "Grippy and cushioned for yoga, pilates and stretching.",
    ),
    CategoryVocab(
        "Blenders",
        ("Blendtec Home", "Vortex", "Acme", "Nutrimix", "Kitchenly", "Whirl"),
        ("Blender", "Personal Blender", "Countertop Blender", "Immersion Blender", "Smoothie Maker"),
        (
            "High Speed",
            "Professional",
            "Portable",
            "1200W",
            "Quiet",
            "Glass Jar",
            "Variable Speed",
            "Self Cleaning",
            "Compact",
        ),
        ("", "with To-Go Cups", "64 oz", "with Travel Lid"),
        (("color", ("Black", "Silver", "White", "Red")),),
        (19.0, 499.0),
        "Crushes ice and whips up smoothies in seconds.",
    ),
    CategoryVocab(
        "Jackets",
        ("Northline", "Summit", "Everwear", "Ridgeback", "Frostguard", "Urban Thread"),
        ("Jacket", "Rain Jacket", "Puffer Jacket", "Fleece Jacket", "Softshell Jacket", "Windbreaker"),
        ("Mens", "Womens", "Waterproof", "Packable", "Insulated", "Hooded", "Lightweight", "Windproof", "Quilted"),
        ("", "", "with Zip Pockets", "Full Zip"),
        (("color", COLORS[:8]), ("size", APPAREL_SIZES)),
        (29.0, 299.0),
        "Warm, weatherproof layers for the commute or the trail.",
    ),
    CategoryVocab(
        "Sunglasses",
        ("Solara", "Ray Vista", "Shadeline", "Horizon", "Glint", "Polaris"),
        ("Sunglasses", "Aviator Sunglasses", "Wayfarer Sunglasses", "Sport Sunglasses", "Round Sunglasses"),
        ("Polarized", "UV400", "Mens", "Womens", "Oversized", "Vintage", "Lightweight", "Mirrored", "Retro"),
        ("", "", "with Case", "Metal Frame"),
        (("color", ("Black", "Tortoise", "Gold", "Silver", "Brown")),),
        (9.0, 219.0),
        "Crisp, glare-free vision with full UV protection.",
    ),
    CategoryVocab(
        "Phone Cases",
        ("Armorly", "Casewell", "Shieldco", "Acme", "Slimfit", "Guardian"),
        ("Phone Case", "Wallet Case", "Clear Case", "Rugged Case", "Silicone Case"),
        (
            "Shockproof",
            "Slim",
            "MagSafe Compatible",
            "Clear",
            "Card Holder",
            "Kickstand",
            "Military Grade",
            "Glitter",
            "Matte",
        ),
        ("for iPhone 15", "for iPhone 14", "for Galaxy S24", "for Pixel 8", ""),
        (("color", ("Black", "Clear", "Blue", "Pink", "Green", "Purple")),),
        (6.0, 59.0),
        "Drop protection without the bulk.",
    ),
)

REVIEW_AUTHORS: tuple[str, ...] = (
    "Alex P.",
    "Jordan M.",
    "Sam K.",
    "Taylor R.",
    "Chris L.",
    "Morgan D.",
    "Jamie S.",
    "Riley T.",
    "Casey W.",
    "Avery B.",
    "Quinn H.",
    "Drew N.",
    "Pat G.",
    "Robin F.",
    "Jesse C.",
    "Kim O.",
)

# stars -> (titles, texts); "{noun}" is filled with the product noun, lower case.
REVIEW_TEXTS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    5: (
        ("Love it", "Exactly what I needed", "Excellent value", "Highly recommend"),
        (
            "Best {noun} I have owned. Works perfectly out of the box.",
            "Great quality for the price, I would buy it again.",
            "Arrived quickly and looks even better in person.",
        ),
    ),
    4: (
        ("Very good", "Solid choice", "Happy with it"),
        (
            "Good {noun} overall, a couple of small quirks but nothing major.",
            "Does the job well. Wish it came in more colors.",
            "Comfortable and well made, shipping took a bit long.",
        ),
    ),
    3: (
        ("It's okay", "Average", "Mixed feelings"),
        (
            "The {noun} is fine but not as nice as the photos suggest.",
            "Works, but the build feels a little cheap.",
            "Decent for the price, I expected more.",
        ),
    ),
    2: (
        ("Disappointed", "Not great", "Meh"),
        (
            "Stopped working properly after a few weeks.",
            "The {noun} runs small and the material is thin.",
            "Not worth the money in my opinion.",
        ),
    ),
    1: (
        ("Returned it", "Do not buy", "Poor quality"),
        (
            "Arrived damaged and customer service was slow.",
            "Nothing like the description. Sent it back.",
            "Broke on the second day.",
        ),
    ),
}
