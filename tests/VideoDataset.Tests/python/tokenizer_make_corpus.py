"""Writes the two deterministic text corpora of the tokenizer work (seeded, so reruns give the same bytes).

tokenizer_train_corpus.txt  - video-caption-like English sentences; spm_train learns the tiny spiece.model from it.
tokenizer_parity_corpus.txt - thousands of lines mixing captions with unicode, CJK, emoji, accents, digits,
                              punctuation, repeated spaces, tabs and runs of characters the tiny model does not know;
                              the parity test encodes every line with spm_encode and with T5Tokenizer.
Usage: python3 tokenizer_make_corpus.py OUT_DIR
"""
import random
import sys
from pathlib import Path

SUBJECTS = ["a man", "a woman", "two children", "an old fisherman", "the detective", "a small dog", "a red car",
            "the crowd", "a young girl", "the chef", "a black cat", "the astronaut", "a group of friends",
            "the soldier", "a waiter", "the teacher", "a robot", "the pilot", "a horse", "the band", "Tom", "Jerry",
            "the cartoon mouse", "a tall stranger", "the old lady", "the knight", "a street musician"]
VERBS = ["walks", "runs", "jumps", "looks", "smiles", "turns", "drives", "sits", "stands", "waves", "laughs",
         "climbs", "falls", "dances", "cooks", "reads", "opens the door", "picks up a cup", "talks", "whispers",
         "shouts", "sleeps", "chases the mouse", "slips on a banana peel", "plays the guitar", "hides"]
PLACES = ["in the kitchen", "on the beach", "through the forest", "across the street", "in a dark room",
          "at the train station", "under the bridge", "inside the spaceship", "near the window", "on a rooftop",
          "in the rain", "at night", "during sunset", "in a crowded market", "by the river", "in the snow",
          "at the café", "in the living room", "on stage", "behind the house"]
CAMERA = ["The camera pans left.", "The camera slowly zooms in.", "Close-up shot.", "Wide shot of the scene.",
          "The camera follows from behind.", "Slow motion.", "Handheld camera, shaky footage.",
          "Aerial view.", "The shot cuts to black.", "Over-the-shoulder shot.", "Static camera, soft lighting."]
ADJ = ["bright", "dark", "colorful", "blurry", "cinematic", "warm", "cold", "foggy", "sunny", "quiet", "noisy",
       "vintage", "animated", "realistic", "dramatic", "peaceful"]
RARE_WORDS = ["naïve", "café", "résumé", "jalapeño", "façade", "Zoë", "Ångström", "Müller", "crème brûlée"]
UNICODE_BITS = ["東京の夜景", "你好世界", "안녕하세요", "Привет мир", "Γειά σου", "مرحبا", "שלום", "नमस्ते",
                "🙂", "🎬🎥", "👩‍👩‍👧", "🇯🇵", "½ ¾ ²", "ﬁ ﬂ", "Ｆｕｌｌｗｉｄｔｈ", "①②③", "™ © ®", "…", "—", "“quoted”",
                "‘single’", "é", "e\u0301", "Å", "ß", "İstanbul", "ǅ", "µ", "\u00a0", "\u3000", "\u200b", "€ £ ¥",
                "°C", "№5", "∑∫√", "←→", "ℌ", "㎏", "ｶﾀｶﾅ", "ﾊﾟ", "▁", "▁▁x", "<", ">", "</s", "<pad", "s>"]

OBJECTS = ("apple banana bicycle blanket book bottle bucket candle carpet chair clock coat computer cookie cup curtain "
           "desk diamond door drum envelope feather flag flower fork glass guitar hammer hat helmet jacket key ladder "
           "lamp letter map mirror necklace newspaper notebook orange painting pen pencil phone piano pillow plate "
           "pumpkin radio ring rope sandwich scarf scissors shoe shovel sofa spoon suitcase sword table telescope "
           "ticket toothbrush towel trumpet umbrella vase violin wallet watch wheel whistle window basket balloon "
           "camera compass crown kettle lantern magnet microphone parachute puzzle skateboard snowball statue tent "
           "trophy typewriter").split()
COLORS = "red green blue yellow purple orange pink brown grey golden silver white black crimson turquoise".split()
MANNER = ("quickly slowly carefully angrily happily nervously quietly loudly gracefully clumsily suddenly "
          "gently proudly sadly eagerly lazily secretly calmly wildly").split()
EMOTION = ("surprised frightened delighted confused exhausted curious furious jealous relieved embarrassed "
           "determined suspicious lonely excited bored hopeful").split()
WEATHER = ("Thunder rumbles in the distance.", "Snowflakes drift past the lamp post.", "Leaves swirl in the wind.",
           "Sunlight flickers through the branches.", "Heavy rain hammers the windows.", "A rainbow appears overhead.",
           "Mist rolls over the hills.", "Stars glitter above the mountains.")
ANIMALS = ("aardvark albatross alligator antelope badger beaver bison buffalo butterfly camel canary cheetah "
           "chimpanzee cobra coyote crocodile dolphin donkey dragonfly eagle elephant falcon ferret flamingo fox "
           "gazelle giraffe goose gorilla hamster hedgehog hippopotamus hummingbird jaguar jellyfish kangaroo koala "
           "leopard lobster meerkat mongoose moose octopus ostrich otter owl panda panther parrot peacock pelican "
           "penguin porcupine rabbit raccoon reindeer rhinoceros salamander scorpion seal shark sheep squirrel "
           "swan tiger tortoise turkey vulture walrus weasel whale wolf wombat zebra").split()
FOODS = ("spaghetti pancakes waffles sushi burritos dumplings croissants muffins lasagna omelette popcorn pretzels "
         "noodles tacos cupcakes strawberries watermelon pineapple avocado mushrooms carrots potatoes tomatoes "
         "cucumbers blueberries cherries lemonade chocolate cheese yogurt").split()
JOBS = ("architect baker carpenter dentist electrician farmer firefighter gardener journalist lawyer librarian "
        "mechanic nurse photographer plumber policeman professor receptionist scientist sculptor surgeon "
        "tailor veterinarian").split()
PUNCT = list(".,;:!?-'\"()[]{}/\\|@#$%^&*_+=~`")


def caption(rng):
    parts = [f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(PLACES)}."]
    if rng.random() < 0.6:
        parts.append(f"{rng.choice(['He', 'She', 'They', 'It'])} {rng.choice(MANNER)} "
                     f"{rng.choice(['grabs', 'drops', 'throws', 'paints', 'repairs', 'hides', 'finds', 'carries'])} "
                     f"a {rng.choice(COLORS)} {rng.choice(OBJECTS)}.")
    if rng.random() < 0.5:
        parts.append(f"Meanwhile, the {rng.choice(JOBS)} feeds {rng.choice(FOODS)} to a {rng.choice(ANIMALS)}"
                     f" and a {rng.choice(ANIMALS)}.")
    if rng.random() < 0.4:
        parts.append(f"Everyone looks {rng.choice(EMOTION)}.")
    if rng.random() < 0.3:
        parts.append(rng.choice(WEATHER))
    if rng.random() < 0.5:
        parts.append(f"The scene is {rng.choice(ADJ)} and {rng.choice(ADJ)}.")
    if rng.random() < 0.4:
        parts.append(rng.choice(CAMERA))
    if rng.random() < 0.2:
        parts.append(f"{rng.choice(SUBJECTS).capitalize()} says \"{rng.choice(['hello', 'wait', 'look out', 'no way'])}!\"")
    if rng.random() < 0.1:
        parts.append(f"At {rng.randint(1, 12)}:{rng.randint(0, 59):02d} there are {rng.randint(2, 999)} people.")
    if rng.random() < 0.03:
        parts.append(rng.choice(RARE_WORDS))
    return " ".join(parts)


def noisy_line(rng):
    kind = rng.random()
    if kind < 0.35:
        return caption(rng)
    if kind < 0.5:  # whitespace games
        words = caption(rng).split(" ")
        return "".join(w + rng.choice([" ", "  ", "\t", " \t ", "   "]) for w in words).rstrip() \
            if rng.random() < 0.7 else rng.choice([" ", "  "]) * rng.randint(1, 3) + caption(rng) + "  "
    if kind < 0.75:  # unicode inserted into captions
        words = caption(rng).split(" ")
        for _ in range(rng.randint(1, 4)):
            words.insert(rng.randint(0, len(words)), rng.choice(UNICODE_BITS))
        return " ".join(words)
    if kind < 0.85:  # digits and punctuation
        return "".join(rng.choice(PUNCT + list("0123456789") + [" ", "a", "Z"]) for _ in range(rng.randint(1, 60)))
    if kind < 0.95:  # runs of unknown characters glued to known ones
        run = "".join(rng.choice("東京你好世界안녕🙂🎬ЖФЩΩλ") for _ in range(rng.randint(1, 8)))
        return rng.choice(["", "x", "The ", "cat"]) + run + rng.choice(["", "y", " dog", "."]) + run
    return "".join(chr(rng.choice([rng.randint(0x21, 0x7e), rng.randint(0xa1, 0x24f), rng.randint(0x370, 0x3ff),
                                   rng.randint(0x3040, 0x30ff), rng.randint(0x4e00, 0x4fff),
                                   rng.randint(0x1f300, 0x1f64f), 0x20]))
                   for _ in range(rng.randint(1, 40)))


def main():
    out = Path(sys.argv[1])
    rng = random.Random(20241124)
    train = [caption(rng) for _ in range(3000)]
    (out / "tokenizer_train_corpus.txt").write_text("\n".join(train) + "\n", encoding="utf-8")
    rng = random.Random(7)
    lines = []
    while len(lines) < 5000:
        line = noisy_line(rng)
        # spm_encode reads lines: a line may hold no newline and carriage returns would be lost by readers.
        line = line.replace("\n", " ").replace("\r", " ")
        lines.append(line)
    (out / "tokenizer_parity_corpus.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
