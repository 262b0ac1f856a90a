"""Property: for any small valid scenario, the plan keeps every hard rule and accounts for every
ticket."""

from conftest import at, engineer, scenario, solve_checked, ticket
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SKILLS = ["washer", "boiler", "fridge"]
PARTS = ["pump", "relay"]


@st.composite
def scenarios(draw):
    n_eng = draw(st.integers(1, 3))
    engineers = []
    for i in range(n_eng):
        start = draw(st.sampled_from(["07:00", "08:00", "09:00"]))
        end = draw(st.sampled_from(["12:00", "15:00", "17:00"]))
        e = engineer(
            f"E{i}",
            draw(st.integers(0, 30)),
            draw(st.integers(0, 30)),
            shifts=((start, end),),
            skills=draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=3)),
            van={p: draw(st.integers(0, 2)) for p in PARTS},
            max_overtime_min=draw(st.sampled_from([0, 30])),
        )
        if draw(st.booleans()):
            e["breaks"] = [
                {
                    "start": at("11:00"),
                    "end": at("14:00"),
                    "duration_min": draw(st.sampled_from([15, 30])),
                }
            ]
        if draw(st.booleans()):
            e["tools"] = ["ladder"]
        engineers.append(e)
    tickets = []
    for j in range(draw(st.integers(1, 6))):
        extra = {}
        if draw(st.booleans()):
            h = draw(st.integers(7, 16))
            extra["windows"] = [
                {"start": at(f"{h:02d}:00"), "end": at(f"{h + draw(st.integers(1, 3)):02d}:00")}
            ]
        if draw(st.booleans()):
            extra["parts"] = {draw(st.sampled_from(PARTS)): draw(st.integers(1, 2))}
        if draw(st.integers(0, 4)) == 0:
            extra["tools"] = ["ladder"]
        if draw(st.integers(0, 5)) == 0:
            extra["engineer"] = f"E{draw(st.integers(0, n_eng - 1))}"
        tickets.append(
            ticket(
                f"T{j}",
                draw(st.integers(0, 40)),
                draw(st.integers(0, 40)),
                priority=draw(st.sampled_from(["emergency", "urgent", "normal", "low"])),
                duration=draw(st.integers(10, 120)),
                created=at(f"{draw(st.integers(0, 10)):02d}:00"),
                skills=draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=2)),
                **extra,
            )
        )
    extra = {}
    if draw(st.booleans()):
        extra["depots"] = [
            {
                "id": "D1",
                "location": {"x": 15, "y": 15},
                "parts": {"pump": draw(st.integers(0, 2))},
                "tools": ["ladder"],
                "restock_min": 10,
            }
        ]
    if draw(st.integers(0, 3)) == 0:
        extra["now"] = at("10:30")
    return scenario(engineers, tickets, **extra)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_plan_keeps_the_hard_rules_and_accounts_for_every_ticket(raw):
    solve_checked(raw)
