import { Refusal } from './errors.js';
import { seededRandom, token, randomString } from './ids.js';
import { NOTIFY_SERVER_IPS } from './protocol.js';
import { beijingTime } from './time.js';
import type { Params } from './sign.js';

/**
 * Deterministic fake data for the merchant endpoints (info, user, bank, complaint, iplist):
 * the same merchant or openid always gets the same answer, so tests can assert on it.
 */

/** What the sandbox knows of a merchant beyond its credentials. */
export interface MerchantProfile {
  mchid: string;
  name?: string;
  phone?: string;
  jsapi_path?: string;
  doudou?: number;
}

/** `/api/info` (docs/protocol.md §16.1, newer field list). */
export function merchantInfo(m: MerchantProfile): Params {
  const random = seededRandom(`info:${m.mchid}`);
  return {
    doudou: m.doudou ?? 1000 + Math.floor(random() * 9000),
    name: m.name ?? `沙箱商户${m.mchid.slice(-4)}`,
    jsapi_path: m.jsapi_path ?? 'http://127.0.0.1/',
    phone: m.phone ?? `138${randomString(random, '0123456789', 8)}`,
  };
}

const CITIES = [['广东', '深圳'], ['浙江', '杭州'], ['北京', '北京'], ['上海', '上海'], ['四川', '成都']];

/** `/api/user`: a WeChat `user/info`-shaped profile (docs/protocol.md §16.3). */
export function wechatUser(openid: string): Params {
  const random = seededRandom(`user:${openid}`);
  const [province, city] = CITIES[Math.floor(random() * CITIES.length)];
  return {
    user: {
      subscribe: 1,
      openid,
      nickname: `沙箱用户${token(random, 4)}`,
      sex: Math.floor(random() * 3),
      city,
      province,
      country: '中国',
      language: 'zh_CN',
      headimgurl: 'http://127.0.0.1/avatar.png',
      subscribe_time: 1546300800 + Math.floor(random() * 1e8),
      groupid: 0,
      tagid_list: [],
      subscribe_scene: 'ADD_SCENE_QR_CODE',
      qr_scene: 0,
    },
  };
}

/** WeChat `bank_type` codes and their Chinese names, for `/api/bank` (docs/protocol.md §16.4). */
export const BANKS: Record<string, string> = {
  ICBC_DEBIT: '工商银行(借记卡)', ICBC_CREDIT: '工商银行(信用卡)',
  ABC_DEBIT: '农业银行(借记卡)', ABC_CREDIT: '农业银行(信用卡)',
  BOC_DEBIT: '中国银行(借记卡)', BOC_CREDIT: '中国银行(信用卡)',
  CCB_DEBIT: '建设银行(借记卡)', CCB_CREDIT: '建设银行(信用卡)',
  CMB_DEBIT: '招商银行(借记卡)', CMB_CREDIT: '招商银行(信用卡)',
  COMM_DEBIT: '交通银行(借记卡)', COMM_CREDIT: '交通银行(信用卡)',
  PSBC_DEBIT: '邮政储蓄银行(借记卡)', SPDB_DEBIT: '浦发银行(借记卡)',
  CITIC_DEBIT: '中信银行(借记卡)', CIB_DEBIT: '兴业银行(借记卡)',
  CMBC_DEBIT: '民生银行(借记卡)', PAB_DEBIT: '平安银行(借记卡)',
  OTHERS: '其他银行', LQT: '零钱通', CFT: '零钱',
};

/** `/api/bank`: the name of a bank code; an unknown code is refused with the known ones. */
export function bankAnswer(code: string): Params {
  const name = Object.hasOwn(BANKS, code) ? BANKS[code] : undefined;
  if (!name) throw new Refusal('INVALID_PARAM', ['bank', `unknown bank code; the sandbox knows ${Object.keys(BANKS).join(', ')}`]);
  return { bank: name };
}

/** `/api/complaint`: two fixed complaint records per merchant (docs/protocol.md §16.2). */
export function complaints(mchid: string): Params {
  const random = seededRandom(`complaint:${mchid}`);
  const at = 1704067200000 + Math.floor(random() * 1e9);
  return {
    complaints: [0, 1].map((i) => ({
      body: i === 0 ? '未收到商品' : undefined,
      complaint_at: beijingTime(at + i * 86_400_000),
      complaint_id: `${200000000 + Math.floor(random() * 1e8)}`,
      order_id: `${beijingTime(at).replace(/\D/g, '')}00${randomString(random, '0123456789', 9)}`,
      out_trade_no: `C${randomString(random, '0123456789', 10)}`,
      total_fee: 100 * (1 + Math.floor(random() * 50)),
    })),
  };
}

/** `/api/iplist`. */
export function ipList(): Params {
  return { iplist: [...NOTIFY_SERVER_IPS] };
}
