<?php
// A PHP merchant back end with https://payjs.cn hard-coded, using curl; run unmodified with
// HTTPS_PROXY (curl reads it) and `php -d curl.cainfo=…`. Prints one JSON line like merchant_app.py.
const KEY = 'TestKey1234567890';
function payjs_sign(array $params): string {
    ksort($params);
    $pairs = [];
    foreach ($params as $k => $v) {
        if ($k === 'sign' || $v === '' || $v === null) continue;
        $pairs[] = "$k=$v";
    }
    return strtoupper(md5(implode('&', $pairs) . '&key=' . KEY));
}
$order = ['mchid' => '1234567890', 'total_fee' => 1, 'out_trade_no' => 'PHP' . intval(microtime(true) * 1000), 'body' => 'php curl', 'notify_url' => $argv[1]];
$order['sign'] = payjs_sign($order);
$ch = curl_init('https://payjs.cn/api/native');
curl_setopt_array($ch, [CURLOPT_POST => true, CURLOPT_POSTFIELDS => http_build_query($order), CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 10]);
$text = curl_exec($ch);
if ($text === false) { fwrite(STDERR, 'curl: ' . curl_error($ch) . "\n"); exit(1); }
$answer = json_decode($text, true);
echo json_encode(['return_code' => $answer['return_code'] ?? null, 'payjs_order_id' => $answer['payjs_order_id'] ?? null, 'answerSignValid' => ($answer['sign'] ?? '') === payjs_sign($answer)]), "\n";
