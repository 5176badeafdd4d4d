import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.adapters.pii import DecryptionError, Keyring, derive_dev_keys, keyring_from_config, new_key_b64

ID_NUMBER = "33028219950820127X"


def make_keyring(seed: str = "dev-seed", **kwargs) -> Keyring:
    data_key, index_key = derive_dev_keys(seed)
    return Keyring(data_key, index_key, **kwargs)


@given(st.text())
def test_encrypt_then_decrypt_returns_the_plaintext(text):
    keyring = make_keyring()
    assert keyring.decrypt(keyring.encrypt(text)) == text


def test_ciphertext_hides_the_plaintext_and_uses_a_fresh_nonce_each_time():
    keyring = make_keyring()
    blobs = {keyring.encrypt(ID_NUMBER) for _ in range(200)}
    assert len(blobs) == 200
    assert len({blob[1:13] for blob in blobs}) == 200
    assert all(ID_NUMBER.encode() not in blob for blob in blobs)


def test_blob_starts_with_the_key_version():
    assert make_keyring(key_version=7).encrypt("x")[0] == 7


def test_decrypt_accepts_memoryview_as_postgres_returns_it():
    keyring = make_keyring()
    assert keyring.decrypt(memoryview(keyring.encrypt("张三"))) == "张三"


@pytest.mark.parametrize("position", [0, 1, 12, 13, -1])
def test_any_flipped_byte_is_detected(position):
    keyring = make_keyring(retired_data_keys={2: derive_dev_keys("other")[0]})
    blob = bytearray(keyring.encrypt(ID_NUMBER))
    blob[position] ^= 0x01
    with pytest.raises(DecryptionError):
        keyring.decrypt(bytes(blob))


def test_version_byte_swapped_to_a_known_retired_key_is_detected():
    keyring = make_keyring(retired_data_keys={2: derive_dev_keys("other")[0]})
    blob = keyring.encrypt(ID_NUMBER)
    with pytest.raises(DecryptionError, match="authentication"):
        keyring.decrypt(b"\x02" + blob[1:])


def test_truncated_blob_is_rejected_with_a_clear_error():
    keyring = make_keyring()
    with pytest.raises(DecryptionError, match="truncated"):
        keyring.decrypt(keyring.encrypt("")[:20])


def test_blob_from_another_key_fails_authentication():
    blob = make_keyring("one").encrypt(ID_NUMBER)
    with pytest.raises(DecryptionError, match="authentication"):
        make_keyring("two").decrypt(blob)


def test_rotated_keyring_still_reads_old_blobs_and_flags_them():
    old_key, index_key = derive_dev_keys("old")
    new_key = derive_dev_keys("new")[0]
    old_blob = Keyring(old_key, index_key).encrypt(ID_NUMBER)
    rotated = Keyring(new_key, index_key, key_version=2, retired_data_keys={1: old_key})
    assert rotated.decrypt(old_blob) == ID_NUMBER
    assert rotated.needs_rotation(old_blob)
    assert not rotated.needs_rotation(rotated.encrypt(ID_NUMBER))
    with pytest.raises(DecryptionError, match="unknown key version 2"):
        Keyring(old_key, index_key).decrypt(rotated.encrypt(ID_NUMBER))


def test_blind_index_is_deterministic_per_kind():
    keyring = make_keyring()
    first = keyring.blind_index(ID_NUMBER, kind="id_number")
    assert first == make_keyring().blind_index(ID_NUMBER, kind="id_number")
    assert len(first) == 64
    assert int(first, 16) >= 0


def test_blind_index_differs_across_kinds_and_keys():
    keyring = make_keyring()
    assert keyring.blind_index("13812345678", kind="phone") != keyring.blind_index("13812345678", kind="id_number")
    assert keyring.blind_index("a", kind="ab") != keyring.blind_index("ba", kind="a")
    assert keyring.blind_index(ID_NUMBER, kind="id_number") != make_keyring("other").blind_index(
        ID_NUMBER, kind="id_number"
    )


def test_blind_index_needs_a_kind():
    with pytest.raises(ValueError):
        make_keyring().blind_index(ID_NUMBER, kind="")


def test_keyring_from_config_accepts_standard_and_url_safe_base64():
    standard = base64.b64encode(bytes(range(32))).decode()
    url_safe = base64.urlsafe_b64encode(bytes(range(224, 256))).decode().rstrip("=")
    keyring = keyring_from_config(standard, url_safe)
    assert keyring.decrypt(keyring.encrypt("ok")) == "ok"
    fresh = keyring_from_config(new_key_b64(), new_key_b64())
    assert fresh.decrypt(fresh.encrypt("ok")) == "ok"


@pytest.mark.parametrize("bad", ["not base64!!", base64.b64encode(b"short").decode(), ""])
def test_keyring_from_config_rejects_bad_keys_without_echoing_them(bad):
    with pytest.raises(ValueError) as caught:
        keyring_from_config(bad, new_key_b64())
    assert "data key" in str(caught.value)
    assert not bad or bad not in str(caught.value)


def test_keyring_refuses_keys_of_the_wrong_length():
    with pytest.raises(ValueError, match="32 bytes"):
        Keyring(b"k" * 16, b"i" * 32)


def test_repr_never_shows_key_material():
    data_key, index_key = derive_dev_keys("dev-secret")
    text = repr(Keyring(data_key, index_key))
    assert data_key.hex() not in text
    assert str(data_key) not in text
    assert "version=1" in text


def test_dev_keys_are_stable_distinct_and_secret_dependent():
    data_key, index_key = derive_dev_keys("dev-secret")
    assert (data_key, index_key) == derive_dev_keys("dev-secret")
    assert data_key != index_key
    assert derive_dev_keys("other")[0] != data_key
    with pytest.raises(ValueError):
        derive_dev_keys("")
