"""Input downloads: the connection goes to the checked address with the host name kept for TLS and
Host; refused addresses and redirects; size caps. A real TLS server on loopback, a fake resolver."""

import datetime
import http.server
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.unified_api.input_fetch import InputFetcher, InputRefused, InputTransient, image_format

HOST = "images.test"


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}
    hosts: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hosts.append(self.headers.get("Host", ""))
        status, headers, body = self.routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for key, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], cert
    httpd.shutdown()


def fetcher(cert: Path, resolve: dict[str, str], max_bytes: int = 1000) -> InputFetcher:
    return InputFetcher(max_bytes, 5.0, s3_client=lambda: None, resolver=lambda host: [resolve[host]],
                        address_allowed=lambda address: ipaddress.ip_address(address).is_loopback,
                        ca_certs=str(cert))


def test_the_connection_goes_to_the_checked_address_with_the_name_kept(server: tuple[int, Path]) -> None:
    port, cert = server
    Handler.routes["/cat.png"] = (200, {}, b"meow")
    Handler.hosts.clear()
    assert fetcher(cert, {HOST: "127.0.0.1"}).fetch(f"https://{HOST}:{port}/cat.png") == b"meow"
    assert Handler.hosts == [f"{HOST}:{port}"]


def test_redirects_are_followed_and_each_hop_is_checked(server: tuple[int, Path]) -> None:
    port, cert = server
    Handler.routes["/hop"] = (302, {"Location": "/cat.png"}, b"")
    Handler.routes["/cat.png"] = (200, {}, b"meow")
    Handler.routes["/away"] = (302, {"Location": f"https://metadata.test:{port}/latest"}, b"")
    resolve = {HOST: "127.0.0.1", "metadata.test": "169.254.169.254"}
    assert fetcher(cert, resolve).fetch(f"https://{HOST}:{port}/hop") == b"meow"
    with pytest.raises(InputRefused, match=r"'metadata\.test' resolves to a private") as refused:
        fetcher(cert, resolve).fetch(f"https://{HOST}:{port}/away")
    assert "169.254" not in str(refused.value)


def test_a_private_address_is_refused_before_any_connection() -> None:
    refusing = InputFetcher(1000, 5.0, s3_client=lambda: None, resolver=lambda host: ["10.1.2.3"])
    with pytest.raises(InputRefused, match=r"'internal\.test' resolves to a private") as refused:
        refusing.fetch("https://internal.test/secret.png")
    assert "10.1.2.3" not in str(refused.value)


def test_a_wrong_certificate_is_refused(server: tuple[int, Path], tmp_path: Path) -> None:
    port, _cert = server
    other, _key = self_signed(tmp_path)
    with pytest.raises(InputRefused, match="TLS"):
        fetcher(other, {HOST: "127.0.0.1"}).fetch(f"https://{HOST}:{port}/cat.png")


@pytest.mark.parametrize(("route", "error", "match"), [
    ((404, {}, b""), InputRefused, "not found"),
    ((403, {}, b""), InputRefused, "HTTP 403"),
    ((503, {}, b""), InputTransient, "HTTP 503"),
    ((200, {}, b"x" * 2000), InputRefused, "larger than 1000 bytes"),
])
def test_answers_are_sorted_into_permanent_and_transient(server: tuple[int, Path], route: tuple, error: type,
                                                         match: str) -> None:
    port, cert = server
    Handler.routes["/case"] = route
    with pytest.raises(error, match=match):
        fetcher(cert, {HOST: "127.0.0.1"}).fetch(f"https://{HOST}:{port}/case")


def test_only_s3_and_https_urls() -> None:
    with pytest.raises(InputRefused, match="only s3:// and https://"):
        InputFetcher(10, 1.0).fetch("http://example.com/a.png")


def test_image_format_names_the_file_type_or_refuses() -> None:
    import io

    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (4, 4)).save(data, format="JPEG")
    assert image_format(data.getvalue(), "u") == ("jpg", "image/jpeg")
    with pytest.raises(InputRefused, match="not an image"):
        image_format(b"<html>", "https://e/x")
