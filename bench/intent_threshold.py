"""Measure the thresholds of intent matching on hand-labelled pairs (all-MiniLM-L6-v2,
the router's model): precision and recall per threshold for

- intent triggers: a device trigger's intent text against an automation's phrase;
- push routing: a device trigger's intent text against an agent's declared purpose.

    python -m bench.intent_threshold

The chosen defaults (hub/automations/intents.py DEFAULT_THRESHOLD, hub/agents/push.py
PURPOSE_THRESHOLD) favour precision: a false match runs an automation or wakes an agent
for nothing, a missed one can be fixed by a better phrase. docs/agents.md has the table.
"""

from __future__ import annotations

from bench.report import report
from hub.routing import Embedder

# (device trigger's intent text, phrase, should match)
PHRASES: list[tuple[str, str, bool]] = [
    ("person detected at front door", "someone is at the door", True),
    ("person at front door", "someone is at the door", True),
    ("someone rang the doorbell", "someone is at the door", True),
    ("doorbell pressed", "someone is at the door", True),
    ("visitor at the front door", "someone is at the door", True),
    ("car detected at driveway", "someone is at the door", False),
    ("motion detected in hallway", "someone is at the door", False),
    ("dog detected at garden", "someone is at the door", False),
    ("battery low on hallway motion sensor", "someone is at the door", False),
    ("water leak detected in kitchen", "someone is at the door", False),
    ("motion detected in hallway", "movement in the house", True),
    ("motion detected in living room", "movement in the house", True),
    ("occupancy detected in bedroom", "movement in the house", True),
    ("person detected at front door", "movement in the house", False),
    ("temperature above 30 in living room", "movement in the house", False),
    ("door opened in garage", "movement in the house", False),
    ("water leak detected in kitchen", "water on the floor", True),
    ("leak sensor wet under the sink", "water on the floor", True),
    ("moisture detected in bathroom", "water on the floor", True),
    ("smoke detected in kitchen", "water on the floor", False),
    ("motion detected in kitchen", "water on the floor", False),
    ("smoke detected in kitchen", "fire alarm", True),
    ("smoke alarm sounding in hallway", "fire alarm", True),
    ("carbon monoxide detected in garage", "fire alarm", False),
    ("door bell pressed", "fire alarm", False),
    ("battery low on hallway motion sensor", "a device needs new batteries", True),
    ("battery at 5 percent on front door lock", "a device needs new batteries", True),
    ("low battery on kitchen leak sensor", "a device needs new batteries", True),
    ("motion detected in hallway", "a device needs new batteries", False),
    ("light turned on in kitchen", "a device needs new batteries", False),
    ("front door unlocked", "the door was opened", True),
    ("front door opened", "the door was opened", True),
    ("garage door opened", "the door was opened", True),
    ("window opened in bedroom", "the door was opened", False),
    ("person detected at front door", "the door was opened", False),
    ("button single press in living room", "the button was pressed", True),
    ("living room remote double click", "the button was pressed", True),
    ("motion detected in living room", "the button was pressed", False),
    ("car detected at driveway", "a car arrived", True),
    ("vehicle in driveway", "a car arrived", True),
    ("person detected at driveway", "a car arrived", False),
    ("package detected at front door", "a parcel was delivered", True),
    ("car detected at driveway", "a parcel was delivered", False),
]

DOORMAN = "Greets visitors at the front door and tells the household who is there."
BATTERIES = "Keeps an eye on device batteries and reports the ones that run low."
SAFETY = "Handles smoke, fire, carbon monoxide and water leak alarms."
LIGHTS = "Turns lights on and off when people move around the house."
PURPOSES: list[tuple[str, str, bool]] = [
    ("person detected at front door", DOORMAN, True),
    ("someone rang the doorbell", DOORMAN, True),
    ("visitor at the front door", DOORMAN, True),
    ("package detected at front door", DOORMAN, True),
    ("car detected at driveway", DOORMAN, False),
    ("motion detected in hallway", DOORMAN, False),
    ("battery low on hallway motion sensor", DOORMAN, False),
    ("water leak detected in kitchen", DOORMAN, False),
    ("battery low on hallway motion sensor", BATTERIES, True),
    ("battery at 5 percent on front door lock", BATTERIES, True),
    ("low battery on kitchen leak sensor", BATTERIES, True),
    ("motion detected in hallway", BATTERIES, False),
    ("person detected at front door", BATTERIES, False),
    ("temperature above 30 in living room", BATTERIES, False),
    ("smoke detected in kitchen", SAFETY, True),
    ("water leak detected in kitchen", SAFETY, True),
    ("carbon monoxide detected in garage", SAFETY, True),
    ("moisture detected in bathroom", SAFETY, True),
    ("person detected at front door", SAFETY, False),
    ("button single press in living room", SAFETY, False),
    ("light turned on in kitchen", SAFETY, False),
    ("motion detected in hallway", LIGHTS, True),
    ("motion detected in living room", LIGHTS, True),
    ("occupancy detected in bedroom", LIGHTS, True),
    ("water leak detected in kitchen", LIGHTS, False),
    ("battery low on hallway motion sensor", LIGHTS, False),
    ("car detected at driveway", LIGHTS, False),
    ("the washing machine finished", DOORMAN, False),
    ("the washing machine finished", BATTERIES, False),
    ("the washing machine finished", SAFETY, False),
    ("the washing machine finished", LIGHTS, False),
    ("new firmware available for kitchen light", LIGHTS, False),
]
THRESHOLDS = [round(0.20 + 0.05 * i, 2) for i in range(13)]


def scores(embedder: Embedder, pairs: list[tuple[str, str, bool]]) -> list[float]:
    texts = sorted({t for a, b, _ in pairs for t in (a, b)})
    vectors = embedder.embed(texts)
    at = {t: vectors[i] for i, t in enumerate(texts)}
    return [float(at[a].cosine(at[b])) for a, b, _ in pairs]


def sweep(values: list[float], pairs: list[tuple[str, str, bool]]) -> list[dict[str, float]]:
    out = []
    for threshold in THRESHOLDS:
        tp = sum(1 for v, (_, _, y) in zip(values, pairs, strict=True) if v >= threshold and y)
        fp = sum(1 for v, (_, _, y) in zip(values, pairs, strict=True) if v >= threshold and not y)
        fn = sum(1 for v, (_, _, y) in zip(values, pairs, strict=True) if v < threshold and y)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append({"threshold": threshold, "precision": round(precision, 3),
                    "recall": round(recall, 3), "f1": round(f1, 3)})
    return out


def main() -> None:
    embedder = Embedder()
    phrase_rows = sweep(scores(embedder, PHRASES), PHRASES)
    purpose_rows = sweep(scores(embedder, PURPOSES), PURPOSES)
    rows = [[f"{p['threshold']:.2f}", f"{p['precision']:.2f}", f"{p['recall']:.2f}",
             f"{p['f1']:.2f}", f"{q['precision']:.2f}", f"{q['recall']:.2f}", f"{q['f1']:.2f}"]
            for p, q in zip(phrase_rows, purpose_rows, strict=True)]
    report("intent_threshold",
           {"model": embedder.model_id, "phrase_pairs": len(PHRASES),
            "purpose_pairs": len(PURPOSES)},
           {"phrases": phrase_rows, "purposes": purpose_rows},
           ["threshold", "phrase P", "phrase R", "phrase F1", "purpose P", "purpose R",
            "purpose F1"], rows)


if __name__ == "__main__":
    main()
