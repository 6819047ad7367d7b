# A Python merchant back end with https://payjs.cn hard-coded, using requests; run unmodified with
# HTTPS_PROXY and REQUESTS_CA_BUNDLE pointing at the sandbox. Prints the answer and whether its sign
# verified, as one JSON line.
import hashlib, json, sys, time
import requests

KEY = 'TestKey1234567890'

def sign(params):
    text = '&'.join(f'{k}={params[k]}' for k in sorted(params) if k != 'sign' and params[k] not in ('', None))
    return hashlib.md5(f'{text}&key={KEY}'.encode()).hexdigest().upper()

order = {'mchid': '1234567890', 'total_fee': 1, 'out_trade_no': f'PY{int(time.time() * 1000)}', 'body': 'python requests', 'notify_url': sys.argv[1]}
order['sign'] = sign(order)
answer = requests.post('https://payjs.cn/api/native', data=order, timeout=10).json()
print(json.dumps({'return_code': answer.get('return_code'), 'payjs_order_id': answer.get('payjs_order_id'), 'answerSignValid': answer.get('sign') == sign(answer)}))
