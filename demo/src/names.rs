//! Synthetic personal data and case summaries (clearly fake: 555-style phone blocks are not used
//! in China, so numbers are drawn from the 170/171 virtual-operator ranges).

use model::{Category, Subcategory};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "韩", "冯", "曹", "彭", "曾",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "建华", "文", "华", "红", "玉兰", "志强", "海燕", "永",
];

/// A synthetic Chinese name.
pub fn person(rng: &mut ChaCha8Rng) -> String {
    let s = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let g = GIVEN[rng.random_range(0..GIVEN.len())];
    format!("{s}{g}")
}

/// A synthetic mobile number in a virtual-operator range.
pub fn phone(rng: &mut ChaCha8Rng) -> String {
    format!("17{}{:08}", rng.random_range(0..2), rng.random_range(0..100_000_000u32))
}

/// A short synthetic case summary (简要案情).
pub fn summary(c: Category, s: Option<Subcategory>, rng: &mut ChaCha8Rng) -> String {
    let options: &[&str] = match s.map(Subcategory::as_str) {
        Some("theft") => &["报警人称其手机在人员密集处被盗", "报警人称停放的电动车电瓶被盗", "商铺货物被盗，损失待核"],
        Some("burglary") => &["报警人称家中被撬，财物被盗", "报警人外出返家发现门锁被破坏", "商铺夜间被撬，现金被盗"],
        Some("vehicle_theft") => &["报警人称其停放的摩托车被盗", "报警人称其电动自行车被盗"],
        Some("fraud") => &["报警人称遭遇网络刷单诈骗", "报警人称接到冒充客服电话被骗", "报警人称网购被骗"],
        Some("robbery") => &["报警人称被人抢夺挎包", "报警人称夜间被人拦路抢劫"],
        Some("assault") => &["报警人称被人殴打致伤", "双方冲突致一人受伤"],
        Some("fight") => &["饭店内有人酒后打架", "街边多人聚集斗殴"],
        Some("gambling") => &["群众举报有人聚众赌博"],
        Some("drugs") => &["群众举报疑似涉毒人员"],
        Some("disturbance") => &["有人在公共场所滋事", "噪音扰民，多次劝阻无效"],
        Some("collision") => &["两车追尾，无人员受伤", "电动车与轿车相撞，一人轻伤", "车辆刮擦，双方协商不成"],
        Some("drunk_driving") => &["查获一名酒后驾驶人员"],
        Some("congestion") => &["路口车辆拥堵，请求疏导"],
        Some("neighbour") => &["邻里因噪音发生纠纷", "邻里因占道堆放杂物发生争执"],
        Some("family") => &["家庭成员因琐事发生争吵", "夫妻发生纠纷，请求调解"],
        Some("land") => &["村民因土地边界发生纠纷", "因灌溉用水发生争执"],
        Some("labour") => &["务工人员讨要欠薪", "工地劳资双方发生争执"],
        Some("missing_person") => &["家中老人走失，请求协助寻找", "儿童走失，家属求助"],
        Some("medical") => &["路边有人晕倒，请求救助"],
        Some("other_assistance") => &["群众钥匙反锁屋内求助", "群众求助寻找遗失物品"],
        Some("building_fire") => &["居民楼内起火冒烟", "商铺电线短路起火"],
        Some("vehicle_fire") => &["路边车辆自燃"],
        Some("wild_fire") => &["草场起火，火势蔓延"],
        Some("sandstorm") => &["沙尘暴致道路能见度低，请求救助"],
        Some("flood") => &["强降雨致道路积水，车辆被困"],
        Some("geological") => &["山体落石阻断道路"],
        _ => match c {
            Category::OTHER => &["群众反映其他情况", "咨询相关事项"],
            _ => &["群众报警求助"],
        },
    };
    options[rng.random_range(0..options.len())].to_owned()
}
