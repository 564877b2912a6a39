"""Chinese names for synthetic people, venues and addresses, built from common parts.

Every function draws from a ``numpy.random.Generator`` and returns a list of str;
vectorised with numpy string arrays, so a county of 260,000 people takes well under a
second.
"""

from __future__ import annotations

import numpy as np

from tracelab.synth._draws import choice

__all__ = ["person_names", "surname_indices", "given_names", "venue_names", "addresses",
           "SURNAMES"]

# Common surnames, weighted towards Jiangxi (刘, 李, 王, 陈, 张, 黄, 胡, 彭, 钟 rank high
# there; design default from general knowledge, unverified).
SURNAMES = tuple("刘李王陈张黄胡彭钟周吴邓杨曾罗朱徐肖易林郭何谢赵欧阳文袁汤龙廖宋"
                 "贺邹颜丁钱孙马高梁唐许韩冯曹田董潘蒋蔡余杜叶程苏魏吕任沈姚卢姜谭")
_SURNAME_W = np.array([9, 8, 7, 7, 6, 5, 5, 5, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3,
                       2, 2, 2, 2, 2, 2, 2, 2] + [1] * (len(SURNAMES) - 31), dtype=float)
_SURNAME_P = _SURNAME_W / _SURNAME_W.sum()
_GIVEN_M = tuple("伟强军勇杰涛斌波辉刚明华平建国文俊浩宇鹏飞志红林峰磊超亮晨轩")
_GIVEN_F = tuple("芳娟敏静丽艳娜霞秀英玲燕红梅兰琴婷雪慧颖萍莉洁妍欣怡佳琳")
_GIVEN_ANY = tuple("小春海金荣德福安永子思雨晓嘉新佳秋")

_PLACE = tuple("东南西北中新和平安康华兴盛福泰丰源祥瑞富民金龙凤山水江河湖桥光明翠竹"
               "青松桂花锦绣阳升光华云峰瑞祥清泉玉兰康宁")
_ROADS = ("人民路", "建设路", "中山大道", "解放路", "新华街", "胜利路", "府前路", "城南大道",
          "光明路", "青年路", "工业园路", "和平街", "滨河路", "文化路", "园林路", "兴业大道")

_TEMPLATES: dict[str, tuple[str, ...]] = {
    "residential_compound": ("{a}{b}小区", "{a}{b}花园", "{a}{b}苑", "{a}{b}家园", "{a}{b}新村"),
    "village": ("{a}{b}村",),
    "school": ("{t}{a}{b}小学", "{t}{a}{b}幼儿园", "{c}{a}{b}中学", "{t}中心小学",
               "{c}第{n}中学"),
    "enterprise": ("{city}{a}{b}电瓷有限公司", "{c}{a}{b}陶瓷有限公司",
                   "{c}{a}{b}商贸有限公司", "{city}{a}{b}机械制造有限公司",
                   "{c}{a}{b}建材有限公司", "江西{a}{b}电气有限公司",
                   "{c}{a}{b}物流有限公司", "{c}{a}{b}花炮有限公司"),
    "farmers_market": ("{t}{a}{b}农贸市场", "{t}农贸市场"),
    "mall": ("{a}{b}购物广场", "{a}{b}百货大楼", "{a}{b}商业广场"),
    "supermarket": ("{a}{b}超市", "{a}{b}便民超市", "{a}{b}生活超市", "{s}记超市"),
    "restaurant": ("{s}记{a}饭店", "{a}{b}餐馆", "{s}家{a}面馆", "{a}{b}大排档", "{a}{b}酒家",
                   "{s}记米粉店", "{a}{b}小炒", "{a}{b}火锅店"),
    "hospital": ("{t}卫生院", "{c}人民医院", "{c}中医院", "{a}{b}诊所", "{t}{a}{b}卫生室"),
    "pharmacy": ("{a}{b}大药房", "{s}氏{a}药店", "{a}{b}医药连锁店"),
    "transit": ("{c}公交{n}路",),
    "hotel": ("{a}{b}宾馆", "{a}{b}大酒店", "{a}{b}商务酒店"),
    "government": ("{c}{a}{b}服务中心", "{t}人民政府", "{c}政务服务中心",
                   "{t}便民服务中心", "{c}{a}{b}管理站"),
    "entertainment": ("{a}{b}KTV", "{a}{b}网吧", "{a}{b}棋牌室", "{a}{b}歌城"),
}


def surname_indices(n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` surname indices into :data:`SURNAMES`, weighted by frequency.

    Examples
    --------
    >>> idx = surname_indices(4, np.random.default_rng(0))
    >>> idx.shape, bool((idx < len(SURNAMES)).all())
    ((4,), True)
    """
    return choice(rng, len(SURNAMES), n, _SURNAME_P)


def given_names(male: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one- or two-character given names; ``male`` is a bool array.

    Examples
    --------
    >>> names = given_names(np.array([True, False]), np.random.default_rng(1))
    >>> [1 <= len(x) <= 2 for x in names]
    [True, True]
    """
    n = len(male)
    pool_m, pool_f, pool_any = (np.array(p) for p in (_GIVEN_M, _GIVEN_F, _GIVEN_ANY))
    last = np.where(male, pool_m[rng.integers(0, len(pool_m), n)],
                    pool_f[rng.integers(0, len(pool_f), n)])
    first = np.where(rng.random(n) < 0.5, pool_any[rng.integers(0, len(pool_any), n)],
                     np.where(male, pool_m[rng.integers(0, len(pool_m), n)],
                              pool_f[rng.integers(0, len(pool_f), n)]))
    two = rng.random(n) < 0.75
    return np.where(two, np.char.add(first, last), last)


def person_names(surname_idx: np.ndarray, male: np.ndarray,
                 rng: np.random.Generator) -> list[str]:
    """Full names: surname from ``surname_idx`` plus a given name.

    Examples
    --------
    >>> names = person_names(np.array([0, 1]), np.array([True, False]),
    ...                      np.random.default_rng(2))
    >>> [n[0] for n in names]
    ['刘', '李']
    """
    sur = np.array(SURNAMES)[surname_idx]
    return np.char.add(sur, given_names(male, rng)).tolist()


def venue_names(type_code: str, townships: np.ndarray, rng: np.random.Generator, *,
                county: str = "", city: str = "") -> list[str]:
    """Names for venues of one type; ``townships`` holds each venue's township name.

    ``county`` and ``city`` are the names that county-wide venues (schools, hospitals, firms)
    carry.

    Examples
    --------
    >>> names = venue_names("village", np.array(["东镇", "西镇"]), np.random.default_rng(3))
    >>> [n.endswith("村") for n in names]
    [True, True]
    """
    n = len(townships)
    templates = _TEMPLATES.get(type_code, ("{a}{b}",))
    pick = rng.integers(0, len(templates), n)
    place = np.array(_PLACE)
    a = place[rng.integers(0, len(place), n)]
    b = place[rng.integers(0, len(place), n)]
    s = np.array(SURNAMES)[surname_indices(n, rng)]
    num = rng.integers(1, 40, n)
    plate = rng.integers(10000, 99999, n)
    out = []
    for i in range(n):  # one format call per venue: a few thousand per county
        out.append(templates[pick[i]].format(a=a[i], b=b[i], s=s[i], t=townships[i],
                                             n=num[i], plate=plate[i], c=county, city=city))
    return out


def addresses(townships: np.ndarray, villages: np.ndarray | None,
              rng: np.random.Generator, *, prefix: str) -> list[str]:
    """Detailed addresses (详细地址): a road and number, or a village group.

    ``villages`` gives, per venue, a village name to use instead of a road, or "";
    ``prefix`` is the province, city and county before the township.

    Examples
    --------
    >>> addr = addresses(np.array(["芦溪镇"]), None, np.random.default_rng(4),
    ...                  prefix="江西省萍乡市芦溪县")
    >>> addr[0].startswith("江西省萍乡市芦溪县芦溪镇")
    True
    """
    n = len(townships)
    roads = np.array(_ROADS)[rng.integers(0, len(_ROADS), n)]
    number = rng.integers(1, 400, n).astype(str)
    group = rng.integers(1, 12, n).astype(str)
    head = np.char.add(prefix, townships.astype(str))
    street = np.char.add(np.char.add(roads, number), "号")
    if villages is None:
        return np.char.add(head, street).tolist()
    rural = np.char.add(np.char.add(np.char.add(villages.astype(str), ""), group), "组")
    return np.char.add(head, np.where(villages.astype(str) != "", rural, street)).tolist()
