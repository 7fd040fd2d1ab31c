"""Samplers against a problem with a known answer: Gaussian data and its exact x0-predictor."""
import pytest
import torch

from openhuman.engine.diffusion.schedule import NoiseSchedule
from openhuman.engine.diffusion.samplers import (
    Cancelled,
    DDIMSampler,
    DDPMSampler,
    DPMSolverPP2M,
    DPMSolverPP2MSDE,
    make_sampler,
    respaced_timesteps,
    sample,
)


pytestmark = pytest.mark.usefixtures("one_thread")


SCHEDULE = NoiseSchedule.cosine()
SAMPLES = 5000
MU = torch.tensor([2.0, -1.0, 0.0, 0.5], dtype=torch.float64)
SD = torch.tensor([0.5, 1.5, 0.1, 1.0], dtype=torch.float64)


def gaussian_x0(x_t, t):
    """E[x0 | x_t] when x0 ~ N(MU, SD²) per dimension: the ideal x0-predicting network."""
    ab = SCHEDULE.alphas_cumprod[t].to(x_t.dtype)[:, None]
    gain = SD**2 * ab.sqrt() / (ab * SD**2 + 1 - ab)
    return MU + gain * (x_t - ab.sqrt() * MU)


@pytest.mark.parametrize("sampler, steps", [
    (DDPMSampler(SCHEDULE), 1000),
    (DDIMSampler(SCHEDULE), 50),
    (DDIMSampler(SCHEDULE, eta=1.0), 100),
    (DPMSolverPP2M(SCHEDULE), 20),
    (DPMSolverPP2MSDE(SCHEDULE), 20),
])
def test_sampler_reproduces_the_data_distribution(sampler, steps):
    x = sample(gaussian_x0, (SAMPLES, 4), sampler, steps, torch.Generator().manual_seed(0), dtype=torch.float64)
    assert ((x.mean(0) - MU).abs() < 4 * SD / SAMPLES**0.5 + 0.02 * SD).all(), x.mean(0)
    assert ((x.std(0) / SD - 1).abs() < 0.06).all(), x.std(0)


def test_fast_samplers_land_where_the_reference_does():
    stats = {}
    for name, steps in (("ddpm", 1000), ("ddim", 50), ("dpm", 20), ("dpm-sde", 20)):
        x = sample(gaussian_x0, (SAMPLES, 4), make_sampler(name, SCHEDULE), steps,
                   torch.Generator().manual_seed(1), dtype=torch.float64)
        stats[name] = x.mean(0), x.std(0)
    ref_mean, ref_std = stats["ddpm"]
    for name in ("ddim", "dpm", "dpm-sde"):
        mean, std = stats[name]
        assert ((mean - ref_mean).abs() < 6 * SD / SAMPLES**0.5).all(), (name, mean, ref_mean)
        assert ((std / ref_std - 1).abs() < 0.06).all(), (name, std, ref_std)


def test_too_few_steps_is_measurably_worse():
    # The check above can fail: one DDIM step cannot reproduce the spread of the data.
    x = sample(gaussian_x0, (SAMPLES, 4), DDIMSampler(SCHEDULE), 1, torch.Generator().manual_seed(0),
               dtype=torch.float64)
    assert not torch.allclose(x.std(0), SD, rtol=0.05)


@pytest.mark.parametrize("spacing", ["linear", "quadratic", "logsnr"])
@pytest.mark.parametrize("n", [1, 2, 20, 50, 1000])
def test_respaced_timesteps_run_from_noise_to_clean(spacing, n):
    t = respaced_timesteps(SCHEDULE, n, spacing)
    assert len(t) == n and t[0] == 999 and t[-1] == (999 if n == 1 else 0)
    assert (t[1:] < t[:-1]).all()


def test_respacing_choices():
    assert respaced_timesteps(SCHEDULE, 1000).tolist() == list(range(999, -1, -1))
    lam = lambda t: 0.5 * torch.log(SCHEDULE.alphas_cumprod[t] / (1 - SCHEDULE.alphas_cumprod[t]))
    steps = lam(respaced_timesteps(SCHEDULE, 20, "logsnr")).diff()[1:]
    assert steps.max() < 1.5 * steps.min()  # even in log-SNR after the first step, up to rounding t
    quad = respaced_timesteps(SCHEDULE, 20, "quadratic")
    assert (quad.diff().abs()[:-1] >= quad.diff().abs()[1:]).all()  # denser towards t = 0
    with pytest.raises(ValueError):
        respaced_timesteps(SCHEDULE, 0)
    with pytest.raises(ValueError):
        respaced_timesteps(SCHEDULE, 10, "cubic")


def test_ddim_with_eta_one_is_the_ddpm_posterior():
    ddpm, ddim = DDPMSampler(SCHEDULE), DDIMSampler(SCHEDULE, eta=1.0)
    ddpm.set_timesteps(50)
    ddim.timesteps = ddpm.timesteps
    x_t, x0 = torch.randn(8, 3, dtype=torch.float64), torch.randn(8, 3, dtype=torch.float64)
    for i in (0, 10, 48):
        a = ddpm.step(x0, i, x_t, torch.Generator().manual_seed(i))
        b = ddim.step(x0, i, x_t, torch.Generator().manual_seed(i))
        assert torch.allclose(a, b, atol=1e-10)


def test_first_dpm_step_is_a_ddim_step():
    dpm, ddim = DPMSolverPP2M(SCHEDULE), DDIMSampler(SCHEDULE)
    dpm.set_timesteps(20)
    ddim.timesteps = dpm.timesteps
    x_t, x0 = torch.randn(8, 3, dtype=torch.float64), torch.randn(8, 3, dtype=torch.float64)
    assert torch.allclose(dpm.step(x0, 0, x_t), ddim.step(x0, 0, x_t), atol=1e-10)
    # From the second step on it uses the previous prediction: a different, second-order update.
    assert not torch.allclose(dpm.step(x0 + 1, 1, x_t), ddim.step(x0 + 1, 1, x_t))


def test_dpm_sde_keeps_the_ode_mean_and_adds_the_rest_as_noise():
    """One first-order step from x_t: mean (σs/σt)e^-h x_t + αs(1−e^-2h) x0, variance σs²(1−e^-2h)."""
    sde = DPMSolverPP2MSDE(SCHEDULE)
    sde.set_timesteps(20)
    ab_t, ab_s = sde.alpha_bars(3)
    lam = lambda ab: 0.5 * torch.log(torch.tensor(ab / (1 - ab), dtype=torch.float64))  # noqa: E731
    h = float(lam(ab_s) - lam(ab_t))
    x_t = torch.full((20000, 1), 0.7, dtype=torch.float64)
    x0 = torch.full((20000, 1), -0.4, dtype=torch.float64)
    out = sde.step(x0, 3, x_t, torch.Generator().manual_seed(0))
    mean = ((1 - ab_s) / (1 - ab_t)) ** 0.5 * torch.exp(torch.tensor(-h)) * 0.7 + ab_s**0.5 * (1 - torch.exp(torch.tensor(-2 * h))) * -0.4
    sd = ((1 - ab_s) * (1 - torch.exp(torch.tensor(-2 * h)))) ** 0.5
    assert abs(float(out.mean()) - float(mean)) < 4 * float(sd) / 20000**0.5
    assert abs(float(out.std()) / float(sd) - 1) < 0.03


def test_last_step_returns_the_prediction():
    for sampler in (DDPMSampler(SCHEDULE), DDIMSampler(SCHEDULE), DPMSolverPP2M(SCHEDULE), DPMSolverPP2MSDE(SCHEDULE)):
        sampler.set_timesteps(10)
        x0 = torch.randn(4, 2)
        assert torch.equal(sampler.step(x0, 9, torch.randn(4, 2), torch.Generator().manual_seed(0)), x0)


@pytest.mark.parametrize("name", ["ddpm", "ddim", "dpm", "dpm-sde"])
def test_same_seed_same_output(name):
    run = lambda seed: sample(gaussian_x0, (64, 4), make_sampler(name, SCHEDULE), 30,
                              torch.Generator().manual_seed(seed), dtype=torch.float64)
    assert torch.equal(run(7), run(7))
    assert not torch.allclose(run(7), run(8))


def test_progress_and_cancel():
    done = []
    sample(gaussian_x0, (4, 4), make_sampler("dpm", SCHEDULE), 12, torch.Generator().manual_seed(0),
           progress=lambda i, n: done.append((i, n)), dtype=torch.float64)
    assert done == [(i, 12) for i in range(1, 13)]

    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 5

    with pytest.raises(Cancelled):
        sample(gaussian_x0, (4, 4), make_sampler("ddim", SCHEDULE), 12, torch.Generator().manual_seed(0),
               cancel=cancel, dtype=torch.float64)
    assert len(calls) == 6


def test_unknown_sampler():
    with pytest.raises(ValueError, match="ddpm"):
        make_sampler("euler")


def test_quality_table_names_every_sampler_with_its_default_steps():
    from openhuman.engine.diffusion.presets import DEFAULT_SAMPLER, DEFAULT_STEPS, QUALITY, SAMPLER_NAMES
    from openhuman.engine.diffusion.samplers import SAMPLERS

    assert set(SAMPLER_NAMES) == set(SAMPLERS) == set(DEFAULT_STEPS) and DEFAULT_SAMPLER in SAMPLERS
    for name in SAMPLER_NAMES:
        assert make_sampler(name, SCHEDULE).default_steps == DEFAULT_STEPS[name]
    assert {sampler for sampler, _, _ in QUALITY.values()} <= set(SAMPLERS)


def test_every_sampler_option_is_reachable_by_name():
    deterministic = make_sampler("ddim", SCHEDULE)
    noisy = make_sampler("ddim", SCHEDULE, eta=1.0)
    assert deterministic.eta == 0.0 and noisy.eta == 1.0
    run = lambda smp, seed: sample(gaussian_x0, (64, 4), smp, 20, torch.Generator().manual_seed(seed),  # noqa: E731
                                   dtype=torch.float64)
    assert not torch.allclose(run(deterministic, 0), run(noisy, 0))  # same start, fresh noise on the way
    assert torch.equal(run(noisy, 0), run(noisy, 0))
    with pytest.raises(ValueError, match="'eta'.*none"):
        make_sampler("dpm", SCHEDULE, eta=1.0)


def test_a_teacher_s_steps_averaged_over_their_draws_sample_like_a_plain_sampler_of_the_student_s_steps():
    """training/evaluation/draw_average_study.py: one draw is the teacher's own sampling regrouped; many draws
    (what a student that does not read its draw learns) make the coarse plain sampler's narrower motion."""
    from openhuman.engine.diffusion.samplers import GridDDIM, nested_grid
    from openhuman.training.evaluation.draw_average_study import draw_averaged_steps

    def plain(n):
        grid = GridDDIM(SCHEDULE, eta=1.0, timesteps=nested_grid(n, SCHEDULE.steps))
        return sample(gaussian_x0, (SAMPLES, 4), grid, n, torch.Generator().manual_seed(0), dtype=torch.float64)

    def averaged(draws, eta=1.0, fresh_noise=False):
        grid = GridDDIM(SCHEDULE, eta=1.0, timesteps=nested_grid(2, SCHEDULE.steps))
        grid.set_timesteps(2)
        g = torch.Generator().manual_seed(0)
        x = torch.randn((SAMPLES, 4), generator=g, dtype=torch.float64)
        return draw_averaged_steps(8, eta, draws, fresh_noise)(gaussian_x0, x, grid, g)

    fine, coarse = plain(16), plain(2)
    assert torch.allclose(averaged(1), fine, atol=1e-9)
    spread = averaged(32).std(0)
    assert ((spread - coarse.std(0)).abs() < (spread - fine.std(0)).abs() / 3).all(), (spread, coarse.std(0))
    assert ((averaged(32).mean(0) - MU).abs() < 4 * SD / SAMPLES**0.5 + 0.02 * SD).all()
    # one draw's x̂0 stepped with fresh noise (spread as the teacher's, not tied to the step's noise) keeps most
    # of the teacher's spread, which the average over draws loses
    fresh = averaged(1, fresh_noise=True).std(0)
    assert ((fresh - fine.std(0)).abs() < (spread - fine.std(0)).abs() / 2).all(), (fresh, spread, fine.std(0))
    # deterministic steps (eta 0) draw nothing: the draws do not matter
    assert torch.allclose(averaged(1, 0.0), averaged(3, 0.0))
    from openhuman.training.evaluation.draw_average_study import main
    for bad in (["folder", "--eta", "1.5"], ["folder", "--draws", "0"]):
        with pytest.raises(SystemExit):
            main(bad)


def _exact_ode_x0(x_t, ab):
    """Where the probability-flow ODE takes x_t at ᾱ ab to clean motion, for the Gaussian data."""
    return MU + SD * (x_t - ab**0.5 * MU) / (ab * SD**2 + 1 - ab) ** 0.5


def test_dpm_ode_segment_is_nearer_the_exact_ode_than_ddim_in_as_many_steps():
    from openhuman.training.distill_steps import ode_segment
    from openhuman.training.evaluation.churn_study import ode_timesteps

    ab = SCHEDULE.alphas_cumprod.double()
    start = 700
    x_t = ab[start].sqrt() * MU + (ab[start] * SD**2 + 1 - ab[start]).sqrt() * torch.randn(
        (SAMPLES, 4), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    exact = _exact_ode_x0(x_t, ab[start])

    def error(solver, k):
        ts = ode_timesteps(start, None, k)
        abs_ = [ab[t] for t in ts] + [torch.tensor(1.0, dtype=torch.float64)]
        x = ode_segment(lambda x, t: gaussian_x0(x, t), x_t, abs_, [torch.full((SAMPLES,), t) for t in ts], solver)
        return float((x - exact).abs().max())

    assert error("ddim", 64) < error("ddim", 8) / 4  # both converge on the exact ODE ...
    assert error("dpm", 8) < error("ddim", 8) / 3  # ... the second-order solver faster
    with pytest.raises(Exception, match="solver"):
        error("euler", 4)


def test_churned_deterministic_steps_sample_the_data_distribution():
    """training/evaluation/churn_study.py: noising back up before each deterministic step keeps the marginals."""
    from openhuman.engine.diffusion.samplers import GridDDIM, nested_grid
    from openhuman.training.evaluation.churn_study import churned_ode_steps, main, parse_segments, segments_of

    grid = nested_grid(4, SCHEDULE.steps)
    assert segments_of(grid, 0.0) == list(zip(grid, grid[1:] + [None]))
    # churn 1 starts step 1 at the first timestep again: the step before is dropped
    assert segments_of(grid, 1.0) == [(grid[0], grid[2]), (grid[1], grid[3]), (grid[2], None)]
    assert parse_segments("999:250,562:0") == [(999, 250), (562, None)]
    for segments in (segments_of(grid, 0.0), segments_of(grid, 1.5)):
        g = torch.Generator().manual_seed(0)
        x = torch.randn((SAMPLES, 4), generator=g, dtype=torch.float64)
        x = churned_ode_steps(segments, 16, "dpm")(gaussian_x0, x, GridDDIM(SCHEDULE, timesteps=grid), g)
        assert ((x.mean(0) - MU).abs() < 4 * SD / SAMPLES**0.5 + 0.02 * SD).all(), x.mean(0)
        assert ((x.std(0) / SD - 1).abs() < 0.06).all(), (segments, x.std(0))
    for bad in (["folder", "--churn", "4"], ["folder", "--fold", "0"]):
        with pytest.raises(SystemExit):
            main(bad)
