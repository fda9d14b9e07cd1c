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
        # what urlsplit would drop or choke on
        "s3://buck\net/key.png", "https://exa\tmple.com/a.png", "https://example.com/a b.png", "https://[::1/a",
        "s3://[bucket/key",
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
        # NAT64, IPv4-compatible and IPv4-translated addresses of the metadata service and of private hosts
        "64:ff9b::a9fe:a9fe", "64:ff9b::10.0.0.1", "64:ff9b::127.0.0.1", "::a9fe:a9fe", "::10.0.0.1",
        "::127.0.0.1", "::ffff:0:a9fe:a9fe", "::ffff:0:10.0.0.1",
        # the local-use NAT64 prefix whatever it carries, Teredo, the newer documentation prefix
        "64:ff9b:1::808:808", "64:ff9b:1:a9fe:a9:fe00::", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "3fff::1",
    ],
)
def test_non_public_addresses_are_refused(address):
    assert not is_public_address(address)
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UnsafeUrl, match="non-public"):
        check_fetchable(f"https://{host}/image.png", resolver=resolver_to())


@pytest.mark.parametrize("address", [
    "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946",
    # a public IPv4 address behind NAT64, mapped, compatible or 6to4 is judged as that address
    "64:ff9b::93.184.216.34", "::ffff:93.184.216.34", "::93.184.216.34", "2002:5db8:d822::1",
])
def test_public_addresses_pass(address):
    assert is_public_address(address)


def test_dns_name_resolving_to_metadata_service_is_refused_without_naming_the_address():
    with pytest.raises(UnsafeUrl, match="non-public") as refused:
        check_fetchable("https://innocent.example/x.png", resolver=resolver_to("169.254.169.254"))
    assert "169.254" not in str(refused.value) and "innocent.example" in str(refused.value)


def test_dns_name_with_one_private_address_among_public_is_refused():
    with pytest.raises(UnsafeUrl, match="non-public") as refused:
        check_fetchable("https://mixed.example/x.png", resolver=resolver_to("93.184.216.34", "10.0.0.5"))
    assert "10.0.0.5" not in str(refused.value)


@pytest.mark.parametrize("bucket", [
    "ab", "a" * 64, "Bucket", "bucket_name", "-bucket", "bucket-", ".bucket", "bucket.", "my..bucket",
    "192.168.5.4", "10.0.0.1", "169.254.169.254", "xn--bucket", "sthree-bucket", "amzn-s3-demo-bucket",
    "bucket-s3alias", "bucket--ol-s3", "bucket.mrap", "bucket--x-s3", "bucket--table-s3", "bück",
])
def test_invalid_bucket_names_are_refused(bucket):
    with pytest.raises(UnsafeUrl, match="invalid S3 bucket name"):
        parse_s3_uri(f"s3://{bucket}/key.png")


@pytest.mark.parametrize("bucket", ["abc", "a" * 63, "my-bucket.images", "1.2.3", "1.2.3.4.5", "bucket-s3", "x-n--a"])
def test_valid_bucket_names_pass(bucket):
    assert parse_s3_uri(f"s3://{bucket}/key.png") == (bucket, "key.png")


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
