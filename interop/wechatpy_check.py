"""WeCom event crypto checked against wechatpy (its WeCom crypto), an independent implementation.

Called by tests/it/wecom_events_interop.rs:
  encrypt TOKEN KEY CORP TIMESTAMP NONCE MESSAGE_FILE
      wechatpy encrypts the message; prints JSON {"encrypt", "signature"} for the test to POST.
  decrypt TOKEN KEY CORP QUERY BODY_FILE
      wechatpy checks the signature and decrypts an envelope our simulator sent; prints the message.
"""
import json
import sys
import urllib.parse

import xmltodict
try:  # wechatpy 2.x names it `work`; the 1.8 releases on PyPI `enterprise`
    from wechatpy.work.crypto import WeChatCrypto
except ImportError:
    from wechatpy.enterprise.crypto import WeChatCrypto


def main(argv):
    cmd, token, key, corp = argv[1:5]
    crypto = WeChatCrypto(token, key, corp)
    if cmd == "encrypt":
        timestamp, nonce, path = argv[5:8]
        with open(path, encoding="utf-8") as f:
            message = f.read()
        out = xmltodict.parse(crypto.encrypt_message(message, nonce, timestamp))["xml"]
        print(json.dumps({"encrypt": out["Encrypt"], "signature": out["MsgSignature"]}))
    elif cmd == "decrypt":
        query, path = argv[5:7]
        q = dict(urllib.parse.parse_qsl(query))
        with open(path, encoding="utf-8") as f:
            body = f.read()
        print(crypto.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"]), end="")
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
