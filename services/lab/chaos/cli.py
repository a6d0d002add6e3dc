"""`kinlink chaos`: what `make chaos` runs."""

from __future__ import annotations

import asyncio
import sys

import click

from services.lab.chaos.faults import FaultPlan


@click.command()
@click.option("--seed", type=int, default=7, show_default=True,
              help="Seed of the scenario and of the fault schedule.")
@click.option("--children", type=click.IntRange(min=2), default=40, show_default=True,
              help="Size of the generated scenario.")
@click.option("--brokers", type=click.IntRange(min=1), default=3, show_default=True,
              help="Kafka nodes (3: replication factor 3, min.insync.replicas 2).")
@click.option("--kills", type=click.IntRange(min=0), default=3, show_default=True,
              help="SIGKILLs of each service instance.")
@click.option("--rate", type=float, default=5.0, show_default=True,
              help="Requests per second sent to intake.")
@click.option("--base-port", type=click.IntRange(1024, 65000), default=28100,
              show_default=True, help="First of the ports the run uses (about 40).")
@click.option("--live-baseline", is_flag=True,
              help="Also run the scenario live without faults first, as the reference "
                   "(default: the reference is computed offline by the matching engine).")
@click.option("--verbose", is_flag=True, help="Also print the fault timeline.")
def chaos(seed: int, children: int, brokers: int, kills: int, rate: float, base_port: int,
          live_baseline: bool, verbose: bool) -> None:  # fmt: skip
    """Run a scenario through the whole system while killing services, brokers and the
    database; compare with the fault-free reference and print what was lost. Exit 1 if
    anything was."""
    import time

    from services.common.logging import configure_logging
    from services.lab.chaos.report import failed, render, summary
    from services.lab.chaos.run import ChaosConfig, experiment

    configure_logging("WARNING", service="kinlink-chaos")
    plan = FaultPlan(service_kills=kills, broker_outages=2 if brokers == 1 else 1,
                     postgres_restarts=2, webhook_windows=2, sse_drops=6)  # fmt: skip
    cfg = ChaosConfig(seed=seed, children=children, brokers=brokers, base_port=base_port,
                      rate=rate, plan=plan, live_baseline=live_baseline)  # fmt: skip
    reference = "a live fault-free run first" if live_baseline else "the offline reference"
    click.echo(f"chaos: seed {seed}, {children} children, {brokers} Kafka node(s), ports "
               f"{base_port}-{base_port + 40}; faults, against {reference}")  # fmt: skip
    started = time.monotonic()
    calm, chaotic = asyncio.run(experiment(cfg))
    if verbose:
        click.echo("\n".join(chaotic.fault_log))
        for name, code in chaotic.unexpected_exits:
            click.echo(f"{name} exited on its own with status {code} and was restarted")
    click.echo(f"whole experiment (start-up included): {time.monotonic() - started:.0f} s")
    click.echo(render(calm, chaotic))
    sys.exit(1 if failed(summary(calm, chaotic)) else 0)
