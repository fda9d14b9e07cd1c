"""Properties of the URL check and the error redaction over generated input (hypothesis, derandomized).

Each example test names a few addresses; these say the same for all of them: an IPv6 address carrying
an IPv4 one is judged as that IPv4 address, a bucket name passes only when S3 would accept it, no input
makes the check fail other than with UnsafeUrl, and no internal address survives the redaction.
"""

import ipaddress
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpujobs.address_redaction import redact_addresses
from gpujobs.url_guard import UnsafeUrl, check_fetchable, check_syntax, is_public_address, parse_s3_uri

FUZZ = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

IPV4 = st.ip_addresses(v=4)
# Where an IPv6 address carries an IPv4 one in its last 32 bits (6to4 carries it in bits 16-47).
EMBEDDINGS = {
    "mapped": lambda v4: ipaddress.IPv6Address(0xFFFF << 32 | int(v4)),
    "compatible": lambda v4: ipaddress.IPv6Address(int(v4)),
    "translated": lambda v4: ipaddress.IPv6Address(0xFFFF << 48 | int(v4)),
    "nat64": lambda v4: ipaddress.IPv6Address(0x0064FF9B << 96 | int(v4)),
    "6to4": lambda v4: ipaddress.IPv6Address(0x2002 << 112 | int(v4) << 80 | 1),
}
S3_BUCKET = re.compile(r"\A(?!xn--|sthree-|amzn-s3-demo-)(?!\d+\.\d+\.\d+\.\d+\Z)(?!.*\.\.)"
                       r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z(?<!-s3alias)(?<!--ol-s3)(?<!\.mrap)(?<!--x-s3)"
                       r"(?<!--table-s3)")


@pytest.mark.parametrize("embedding", sorted(EMBEDDINGS))
def test_an_embedded_ipv4_address_is_judged_as_itself(embedding: str) -> None:
    @given(v4=IPV4)
    @FUZZ
    def run(v4: ipaddress.IPv4Address) -> None:
        v6 = EMBEDDINGS[embedding](v4)
        assert is_public_address(str(v6)) == is_public_address(str(v4)), (v6, v4)

    run()


def test_the_local_use_nat64_prefix_is_never_public() -> None:
    @given(low=st.integers(0, 2**80 - 1))
    @FUZZ
    def run(low: int) -> None:
        assert not is_public_address(str(ipaddress.IPv6Address(0x0064FF9B0001 << 80 | low)))

    run()


def test_a_bucket_passes_exactly_when_s3_accepts_its_name() -> None:
    names = st.text(alphabet="abcz09.-_A", min_size=0, max_size=70) | st.from_regex(S3_BUCKET, fullmatch=True) | (
        st.sampled_from(["xn--", "sthree-", "amzn-s3-demo-", ""])
        .flatmap(lambda prefix: st.from_regex(r"\A[a-z0-9.-]{3,20}\Z").map(lambda tail: prefix + tail))
        .flatmap(lambda name: st.sampled_from(["", "-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"])
                 .map(lambda suffix: name + suffix))
    ) | IPV4.map(str)

    @given(name=names)
    @FUZZ
    def run(name: str) -> None:
        try:
            assert parse_s3_uri(f"s3://{name}/key.png") == (name, "key.png")
            accepted = True
        except UnsafeUrl:
            accepted = False
        assert accepted == bool(S3_BUCKET.match(name)), name

    run()


def test_any_text_is_accepted_or_refused_with_unsafe_url() -> None:
    texts = st.text(max_size=120) | st.builds(lambda scheme, rest: scheme + rest,
                                               st.sampled_from(["s3://", "https://", "https://[", "http://", ""]),
                                               st.text(max_size=80))

    @given(url=texts)
    @FUZZ
    def run(url: str) -> None:
        try:
            check_syntax(url)
            check_fetchable(url, resolver=lambda host: ["93.184.215.14"])
            parse_s3_uri(url)
        except UnsafeUrl:
            pass

    run()


def test_no_internal_address_survives_the_redaction() -> None:
    internal_v4 = IPV4.filter(lambda ip: not is_public_address(str(ip)))
    internal_v6 = st.ip_addresses(v=6).filter(lambda ip: not is_public_address(str(ip)))
    hosts = (internal_v4.map(str) | internal_v6.map(lambda ip: f"[{ip}]") | st.sampled_from(
        ["localhost", "ip-10-0-0-1.ec2.internal", "gpu.local"]))
    # text around the address, without the characters an address is made of (so it cannot spell one itself)
    words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCXYZ()'\",;=/_-", max_size=30)

    @given(before=words, host=hosts, port=st.integers(1, 65535), url=st.booleans(), after=words)
    @FUZZ
    def run(before: str, host: str, port: int, url: bool, after: str) -> None:
        address = f"{host}:{port}"
        text = f"{before} {'http://' if url else ''}{address}/x {after}"
        redacted = redact_addresses(text)
        assert address not in redacted and host.strip("[]") not in redacted, redacted

    run()
