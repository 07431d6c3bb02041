import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.services.problem import FixedRoute, Job, Problem, UnplannedReason, VehicleSpec
from dispatch.services.solver import problem_solve
from tests.dispatch.checker import check_plan, exact_distance


def _problem(points, jobs_spec, vehicles_spec, fixed=()):
    distances = [[math.dist(a, b) for b in points] for a in points]
    durations = [[d * 1.7 for d in row] for row in distances]
    jobs = [
        Job(
            key=100 + i,
            location=i + 1,
            delivery=(kg, slots),
            pickup=(0, empties),
            service_seconds=service,
            window_start=start,
            window_end=end,
        )
        for i, (kg, slots, empties, service, start, end) in enumerate(jobs_spec)
    ]
    vehicles = [
        VehicleSpec(key=k, depot_location=0, capacity=cap, shift_start=s, shift_end=e)
        for k, (cap, s, e) in enumerate(vehicles_spec)
    ]
    return Problem(jobs=jobs, vehicles=vehicles, distances=distances, durations=durations, fixed=list(fixed))


job_specs = st.tuples(
    st.integers(0, 120),
    st.integers(0, 6),
    st.integers(0, 4),
    st.floats(0, 30),
    st.floats(0, 300),
    st.floats(0, 400),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    coordinates=st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=2, max_size=12),
    data=st.data(),
)
def test_random_small_days_give_feasible_plans_and_every_order_is_accounted_for(coordinates, data):
    # given a random day
    specs = data.draw(st.lists(job_specs, min_size=len(coordinates) - 1, max_size=len(coordinates) - 1))
    specs = [(kg, slots, e, sv, min(a, b), max(a, b)) for kg, slots, e, sv, a, b in specs]
    vehicles = data.draw(
        st.lists(
            st.tuples(st.tuples(st.integers(50, 300), st.integers(4, 15)), st.just(0.0), st.floats(200, 900)),
            min_size=1,
            max_size=3,
        )
    )
    problem = _problem(coordinates, specs, vehicles)
    # when
    plan = problem_solve(problem=problem, seconds=0.2)
    # then
    routes = plan.route_keys()
    assert check_plan(problem=problem, routes=routes, unplanned=plan.unplanned) == []
    assert math.isclose(plan.distance, exact_distance(problem=problem, routes=routes))


def test_unplannable_orders_come_back_with_their_reason():
    problem = _problem(
        [(0, 0), (1, 0), (2, 0), (500, 0)],
        [(500, 1, 0, 0, 0, 100), (10, 1, 0, 0, 0, 100), (10, 1, 0, 0, 0, 100)],
        [((100, 10), 0.0, 100.0)],
    )
    plan = problem_solve(problem=problem, seconds=0.2)
    assert plan.unplanned == {100: UnplannedReason.OVER_CAPACITY, 102: UnplannedReason.OUTSIDE_SHIFTS}
    assert plan.route_keys() == {0: [101]}


def test_fixed_stops_stay_first_and_in_order_and_the_rest_is_planned_around_them():
    points = [(0, 0), (10, 0), (1, 0), (2, 0), (3, 0)]
    specs = [(10, 1, 1, 1, 0, 1000)] * 4
    fixed = [FixedRoute(vehicle_key=0, job_keys=(100, 103))]
    problem = _problem(points, specs, [((100, 10), 0.0, 1000.0), ((100, 10), 0.0, 1000.0)], fixed)
    plan = problem_solve(problem=problem, seconds=0.3)
    routes = plan.route_keys()
    assert check_plan(problem=problem, routes=routes, unplanned=plan.unplanned, fixed={0: [100, 103]}) == []
    assert routes[0][:2] == [100, 103]
    assert plan.unplanned == {}


def test_empties_collected_count_against_the_slots_on_the_way_back():
    # two customers each take 3 full and give back 3 empties: at most 6 slots aboard at any time
    problem = _problem([(0, 0), (1, 0), (2, 0)], [(0, 3, 3, 0, 0, 100), (0, 3, 3, 0, 0, 100)], [((100, 6), 0.0, 100.0)])
    plan = problem_solve(problem=problem, seconds=0.2)
    assert sorted(plan.route_keys()[0]) == [100, 101]
    tight = _problem([(0, 0), (1, 0), (2, 0)], [(0, 3, 4, 0, 0, 100), (0, 3, 3, 0, 0, 100)], [((100, 6), 0.0, 100.0)])
    plan = problem_solve(problem=tight, seconds=0.2)
    routes = plan.route_keys()
    assert check_plan(problem=tight, routes=routes, unplanned=plan.unplanned) == []
    assert len(plan.unplanned) == 1


def test_a_window_narrower_than_the_solvers_time_unit_is_reported_not_a_crash():
    # given an order whose window is half a second wide at a fractional second (found by Hypothesis)
    problem = _problem([(0, 0), (50, 4)], [(0, 0, 0, 0.0, 0.5, 0.5)], [((50, 4), 0.0, 200.0)])
    # when
    plan = problem_solve(problem=problem, seconds=0.2)
    # then it comes back unplanned with its reason, and nothing is routed
    assert plan.unplanned == {100: UnplannedReason.OUTSIDE_SHIFTS}
    assert all(not route.stops for route in plan.routes)
