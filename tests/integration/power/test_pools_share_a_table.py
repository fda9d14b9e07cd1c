"""Two GPU pools of the multi-region mode against the emulator: one task table in the home region, and per
pool a queue and a GPU instance in the pool's own region, a worker and the power Lambda's logic, each
configured only by the environment Terraform gives it (AWS_REGION, DYNAMODB_REGION, GPU_POOL, ...), and each
signing as its role (the worker as the GPU instance's, the power logic as the power Lambda's, the API as the
API's), those roles' rights over the stack's task queue moved to the pool's or the master queue.

A job claimed by pool B's worker must keep pool B's instance on and leave pool A's facts idle, so pool A's
instance is stopped; a pending task (its pool unknown until claimed) holds neither on. Resources are made
here with unique names (the session stack has one region only) and deleted after the test.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from gpujobs import aws_clients
from gpujobs.api_keys import KeyTable
from gpujobs.aws_clients import Credentials
from gpujobs.power_policy import PowerFacts
from gpujobs.settings import load_settings
from gpujobs.task_model import Task, TaskStatus
from gpujobs.task_store import TaskStore
from local.distributor_source import poll_once
from local.role_users import Identity, ServiceRoles
from services.adapter.worker import Worker
from services.adapter.worker_config import WorkerConfig
from services.api.api_config import ApiConfig
from services.api.app import create_app
from services.distributor_lambda import handler as distributor
from services.shutdown_lambda.handler import build_handler
from services.shutdown_lambda.power_facts import FactsReader
from tests.doubles.fake_unified_api import FakeUnifiedApi
from tests.doubles.lambda_context import LambdaContext
from tests.polling import wait_until
from tests.task_table import create_api_key_table, create_task_table
from tests.unit.power.power_testkit import load_event
from tests.worker_loop import running

pytestmark = pytest.mark.integration

HOME = "us-east-1"
POOL_A, POOL_B = "us-west-2", "eu-west-1"
CAMERA = "/api/v1/camera-angle/jobs"
TAG = {"Key": "Purpose", "Value": "GPU-ComfyUI"}
# The power clock runs this far ahead of the instances' launch, so an instance is idle unless its facts
# say otherwise; jobs may run longer than that (JOB_TIMEOUT_MINUTES), so a claimed job is not overdue.
AHEAD = 2 * 3600


@dataclass
class Pool:
    name: str
    queue_url: str
    instance_id: str
    ec2: Any
    sqs: Any
    worker: Credentials | None = None
    power: Credentials | None = None


@dataclass
class Pools:
    table: str
    home_db: Any
    pools: dict[str, Pool]
    stack: dict[str, Any]
    roles: ServiceRoles

    def use(self, monkeypatch: pytest.MonkeyPatch, name: str) -> Pool:
        """The environment Terraform gives pool `name`'s worker and power Lambda."""
        pool = self.pools[name]
        for key, value in {"AWS_REGION": name, "AWS_DEFAULT_REGION": name, "DYNAMODB_REGION": HOME,
                           "GPU_POOL": name, "DYNAMODB_TABLE": self.table, "SQS_QUEUE_URL": pool.queue_url,
                           "GPU_INSTANCE_ID": pool.instance_id}.items():
            monkeypatch.setenv(key, value)
        return pool

    def state(self, name: str) -> str:
        pool = self.pools[name]
        reservations = pool.ec2.describe_instances(InstanceIds=[pool.instance_id])["Reservations"]
        return reservations[0]["Instances"][0]["State"]["Name"]

    def power_clock(self, name: str) -> int:
        pool = self.pools[name]
        reservations = pool.ec2.describe_instances(InstanceIds=[pool.instance_id])["Reservations"]
        return int(reservations[0]["Instances"][0]["LaunchTime"].timestamp()) + AHEAD

    def facts(self, monkeypatch: pytest.MonkeyPatch, name: str) -> PowerFacts:
        """Pool `name`'s facts read as its power Lambda reads them, from its settings."""
        self.use(monkeypatch, name)
        settings = load_settings("power")
        power = self.pools[name].power
        store = TaskStore(settings.table_name or "", aws_clients.task_table_client(settings, credentials=power))
        return FactsReader(settings.gpu_instance_id or "", settings.queue_url or "", store,
                           aws_clients.client("ec2", settings.aws_region, credentials=power),
                           aws_clients.client("sqs", settings.aws_region, credentials=power),
                           clock=lambda: self.power_clock(name), pool=settings.pool).read()

    def invoke_power(self, monkeypatch: pytest.MonkeyPatch, name: str) -> dict[str, Any]:
        self.use(monkeypatch, name)
        now = self.power_clock(name)
        handler = build_handler(clock=lambda: now, sleep=lambda _s: None, credentials=self.pools[name].power)
        return handler(load_event("schedule.json"), LambdaContext())


def worker_from_the_environment(pool: Pool) -> Worker:
    settings = load_settings("worker")
    return Worker(settings, WorkerConfig.from_settings(settings), credentials=pool.worker)


def credentials(identity: Identity | None) -> Credentials | None:
    return identity.credentials if identity else None


def queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


@pytest.fixture
def pools(stack: dict[str, Any], roles: ServiceRoles, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pools]:
    monkeypatch.delenv("GPUJOBS_OUTPUTS_FILE", raising=False)  # only the environment below names resources
    monkeypatch.setenv("JOB_TIMEOUT_MINUTES", str(4 * AHEAD // 60))
    for key in ("IDLE_MINUTES", "DRY_RUN", "GPU_TAG_KEY", "GPU_TAG_VALUE"):
        monkeypatch.delenv(key, raising=False)
    aws_clients.reset_clients()
    suffix = uuid.uuid4().hex[:10]
    table = f"pool_tasks_{suffix}"
    home_db = boto3.client("dynamodb", region_name=HOME)
    create_task_table(home_db, table)
    made: dict[str, Pool] = {}
    try:
        for name in (POOL_A, POOL_B):
            ec2, sqs = boto3.client("ec2", region_name=name), boto3.client("sqs", region_name=name)
            queue_url = sqs.create_queue(QueueName=f"pool_tasks_{name}_{suffix}",
                                         Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
            # Each pool's roles over its own queue (the stack's roles are the home region's).
            moved = {stack["task_queue_arn"]: queue_arn(sqs, queue_url)}
            made[name] = Pool(name, queue_url, "", ec2, sqs,
                              credentials(roles.rebound("worker", f"worker-{name}-{suffix}", moved)),
                              credentials(roles.rebound("power", f"power-{name}-{suffix}", moved)))
            made[name].instance_id = ec2.run_instances(
                ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="g5.xlarge",
                TagSpecifications=[{"ResourceType": "instance", "Tags": [TAG]}],
            )["Instances"][0]["InstanceId"]
        yield Pools(table, home_db, made, stack, roles)
    finally:
        for pool in made.values():
            if pool.instance_id:
                pool.ec2.terminate_instances(InstanceIds=[pool.instance_id])
            pool.sqs.delete_queue(QueueUrl=pool.queue_url)
        home_db.delete_table(TableName=table)
        aws_clients.reset_clients()


def test_job_claimed_in_pool_b_holds_only_pool_b_on(pools: Pools, monkeypatch: pytest.MonkeyPatch) -> None:
    store = TaskStore(pools.table, pools.home_db)
    # Submitted but not yet forwarded by the distributor: no pool may count it.
    store.create(Task.new("job-unrouted", CAMERA, {"image_url": "s3://inputs/a.png", "prompt": "x"}, 1))
    task_id = f"job-{uuid.uuid4().hex[:8]}"
    body = {"image_url": "s3://inputs/cat.png", "prompt": "rotate"}
    store.create(Task.new(task_id, CAMERA, body, 1))
    pool_b = pools.use(monkeypatch, POOL_B)
    pool_b.sqs.send_message(QueueUrl=pool_b.queue_url,
                            MessageBody=json.dumps({"task_id": task_id, "api_path": CAMERA, "request_body": body}))

    fake = FakeUnifiedApi().start()
    fake.behaviour.latency_s = 3600  # the job stays processing while the power logic looks
    for key, value in {"UNIFIED_API_URL": fake.url, "WAIT_TIME_S": "1", "POLL_INTERVAL_S": "0.1",
                       "MAX_POLL_INTERVAL_S": "0.5", "VISIBILITY_TIMEOUT_S": "60", "SHUTDOWN_GRACE_S": "0",
                       "WORKER_ID": "worker-b"}.items():
        monkeypatch.setenv(key, value)
    try:
        with running(worker_from_the_environment(pool_b)):
            claimed = wait_until(lambda: (t := store.find(task_id)) and t.status == TaskStatus.PROCESSING and t, 15,
                                 "pool B's worker to claim the job")
            assert (claimed.pool, claimed.worker_id) == (POOL_B, "worker-b")

            facts_b = pools.facts(monkeypatch, POOL_B)
            assert [t.task_id for t in facts_b.processing] == [task_id]
            assert facts_b.queue_in_flight == 1
            facts_a = pools.facts(monkeypatch, POOL_A)
            assert (facts_a.processing, facts_a.pending_count, facts_a.last_activity_at) == ((), 0, None)
            assert (facts_a.queue_visible, facts_a.queue_in_flight, facts_a.last_finished_at) == (0, 0, None)

            response_b = pools.invoke_power(monkeypatch, POOL_B)
            assert (response_b["acted"], response_b["reason"]) == ("nothing", "job running")
            response_a = pools.invoke_power(monkeypatch, POOL_A)
            assert (response_a["action"], response_a["acted"], response_a["idle_s"]) == ("stop", "stopped", AHEAD)
            assert (pools.state(POOL_B), pools.state(POOL_A)) == ("running", "stopped")
            fake.behaviour.latency_s = 0  # now let pool B's job finish
            wait_until(lambda: store.get(task_id).status == TaskStatus.COMPLETED, 30, "the job to finish")
    finally:
        fake.stop()
    assert store.last_activity(pool=POOL_B) is not None
    assert store.last_activity(pool=POOL_A) is None
    assert store.get("job-unrouted").status == TaskStatus.PENDING


def test_job_goes_api_to_distributor_to_one_pool_which_alone_wakes_and_runs_it(
        pools: Pools, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole multi-region path with the environment Terraform gives each piece: the API sends to the
    master queue and wakes nothing; the distributor forwards the job to exactly one pool's queue; only
    that pool's power logic starts its instance; that pool's worker runs the job and stamps its pool."""
    home_sqs = boto3.client("sqs", region_name=HOME)
    suffix = uuid.uuid4().hex[:8]
    master = home_sqs.create_queue(QueueName=f"master_{suffix}")["QueueUrl"]
    master_dlq = home_sqs.create_queue(QueueName=f"master_dlq_{suffix}")["QueueUrl"]
    ledger = f"distributor_idempotency_{suffix}"
    pools.home_db.create_table(TableName=ledger, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                               BillingMode="PAY_PER_REQUEST")
    for pool in pools.pools.values():
        pool.ec2.stop_instances(InstanceIds=[pool.instance_id])
    fake = FakeUnifiedApi().start()
    try:
        for key in ("GPU_INSTANCE_ID", "GPU_POOL", "DYNAMODB_REGION"):
            monkeypatch.delenv(key, raising=False)
        keys = create_api_key_table(boto3.client("dynamodb", region_name=HOME), f"api_keys_{suffix}")
        for key, value in {"AWS_REGION": HOME, "AWS_DEFAULT_REGION": HOME, "SQS_QUEUE_URL": master,
                           "DYNAMODB_TABLE": pools.table, "API_KEYS_TABLE": keys}.items():
            monkeypatch.setenv(key, value)
        api_key = KeyTable(keys, boto3.client("dynamodb", region_name=HOME)).create("acme", 0)[0]
        api = pools.roles.rebound("api", f"api-{suffix}", {pools.stack["task_queue_arn"]: queue_arn(home_sqs, master)})
        config = ApiConfig(input_buckets=frozenset({"inputs"}))
        client = create_app(load_settings("api"), config=config, credentials=credentials(api)).test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_key}"
        submitted = client.post(CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "rotate"})
        assert submitted.status_code == 202, submitted.get_json()
        job_id = submitted.get_json()["job_id"]

        monkeypatch.setenv("REGION_QUEUES", json.dumps({name: p.queue_url for name, p in pools.pools.items()}))
        monkeypatch.setenv("MASTER_DLQ_URL", master_dlq)
        monkeypatch.setenv("IDEMPOTENCY_TABLE", ledger)
        distributor.install_instance(None)
        assert poll_once(home_sqs, master, distributor.lambda_handler, wait_s=0) == (1, 0)

        depth = {name: int(p.sqs.get_queue_attributes(QueueUrl=p.queue_url, AttributeNames=[
            "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"])
            for name, p in pools.pools.items()}
        assert sorted(depth.values()) == [0, 1], depth
        chosen = next(name for name, count in depth.items() if count == 1)
        other = next(name for name in pools.pools if name != chosen)

        assert pools.invoke_power(monkeypatch, other)["action"] == "none"
        assert pools.invoke_power(monkeypatch, chosen)["action"] == "start"
        assert (pools.state(chosen), pools.state(other)) == ("running", "stopped")

        for key, value in {"UNIFIED_API_URL": fake.url, "WAIT_TIME_S": "1", "POLL_INTERVAL_S": "0.1",
                           "MAX_POLL_INTERVAL_S": "0.5", "VISIBILITY_TIMEOUT_S": "60", "SHUTDOWN_GRACE_S": "0",
                           "WORKER_ID": f"worker-{chosen}"}.items():
            monkeypatch.setenv(key, value)
        chosen_pool = pools.use(monkeypatch, chosen)
        store = TaskStore(pools.table, pools.home_db)
        with running(worker_from_the_environment(chosen_pool)):
            wait_until(lambda: store.get(job_id).status == TaskStatus.COMPLETED, 30, "the job to finish")
        status = client.get(f"/api/v1/jobs/{job_id}").get_json()
        assert (status["status"], status["pool"]) == ("completed", chosen)
    finally:
        fake.stop()
        distributor.install_instance(None)
        home_sqs.delete_queue(QueueUrl=master)
        home_sqs.delete_queue(QueueUrl=master_dlq)
        pools.home_db.delete_table(TableName=ledger)
