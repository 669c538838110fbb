from __future__ import annotations

from opennrm.screening import load_catalogue


def presumed_adult_labour() -> dict[str, str]:
    """Deceptive recruitment (1 strong + 1 medium), exploitative conditions (1 strong +
    1 medium), coercion at destination (2 strong): the adult rule is met."""
    index = load_catalogue().set_index("adult_labour")
    chosen = [
        *index.by_dimension["deceptive_recruitment"][:2],
        *index.by_dimension["exploitative_conditions"][:2],
        *index.by_dimension["coercion_at_destination"][:2],
    ]
    return dict.fromkeys(chosen, "yes")
