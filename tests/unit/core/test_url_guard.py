import pytest

from gpujobs.url_guard import UnsafeUrl, check_fetchable, check_syntax, is_public_address, parse_s3_uri


def resolver_to(*addresses):
    return lambda host: list(addresses)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a.png",
        "ftp://example.com/a.png",
        "file:///etc/passwd",
        "gopher://x",
        "s3://",
        "s3://bucket-only",
        "s3://Bad_Bucket/key",
        "https:///nohost",
        "https://user:pw@example.com/a.png",
        "https://example.com:notaport/a.png",
        "data:image/png;base64,AAAA",
    ],
)
def test_syntax_rejects(url):
    with pytest.raises(UnsafeUrl):
        check_syntax(url)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1",
        "::1", "fe80::1", "fc00::1", "fd00:ec2::254", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::",
        "224.0.0.1", "2002:a9fe:a9fe::1",
    ],
)
def test_non_public_addresses_are_refused(address):
    assert not is_public_address(address)
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UnsafeUrl, match="non-public"):
        check_fetchable(f"https://{host}/image.png", resolver=resolver_to())


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_pass(address):
    assert is_public_address(address)


def test_dns_name_resolving_to_metadata_service_is_refused():
    with pytest.raises(UnsafeUrl, match=r"169\.254\.169\.254"):
        check_fetchable("https://innocent.example/x.png", resolver=resolver_to("169.254.169.254"))


def test_dns_name_with_one_private_address_among_public_is_refused():
    with pytest.raises(UnsafeUrl, match=r"10\.0\.0\.5"):
        check_fetchable("https://mixed.example/x.png", resolver=resolver_to("93.184.216.34", "10.0.0.5"))


def test_dns_name_resolving_to_ipv6_loopback_is_refused():
    with pytest.raises(UnsafeUrl):
        check_fetchable("https://six.example/x.png", resolver=resolver_to("::1"))


def test_public_dns_name_passes():
    url = "https://images.example/x.png"
    assert check_fetchable(url, resolver=resolver_to("93.184.216.34")) == url


def test_unresolvable_host_is_refused():
    with pytest.raises(UnsafeUrl, match="does not resolve"):
        check_fetchable("https://nowhere.example/x.png", resolver=resolver_to())


def test_s3_uri_needs_no_resolution():
    assert check_fetchable("s3://my-bucket/in/cat.png", resolver=resolver_to("127.0.0.1"))
    assert parse_s3_uri("s3://my-bucket/in/cat.png") == ("my-bucket", "in/cat.png")
