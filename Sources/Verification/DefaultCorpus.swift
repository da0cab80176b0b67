/// The text `hubkit verify` and `hubkit logits` use when no `--text` is given. Written for this
/// project (no third-party copyright): plain English prose with some numbers, code, lists and
/// punctuation, long enough for several 512-token chunks of a typical BPE vocabulary.
public enum DefaultCorpus {
    public static let text = """
    The lighthouse keeper kept two notebooks. In the first she wrote the weather every four hours: \
    wind from the south-west at twenty knots, visibility nine miles, a long swell running under a short \
    chop. In the second she wrote everything else, which was mostly about the birds, the supply boat that \
    came on Thursdays when the sea allowed it, and the slow work of repainting the iron railings before \
    the salt ate through them. She had learned that the first notebook was read by people she would never \
    meet, and that the second was read by nobody at all, and she was not sure which of the two mattered more.

    On the morning the fog came in, the horn had to be started by hand. The compressor was older than the \
    keeper and made a sound like a tired dog. She primed it, counted to thirty, and pulled the lever; the \
    first blast rolled out over the water and came back a second later from the cliffs on the mainland. \
    Every two minutes after that, for eleven hours, the horn spoke, and between the blasts she could hear \
    the engines of boats she could not see, feeling their way along the coast by sound.

    A recipe for bread that has been made in the same kitchen for forty years: 500 g of flour, 350 g of \
    water at about 30 °C, 10 g of salt and 7 g of dried yeast. Mix the flour and water and leave them for \
    half an hour. Add the salt and yeast, then fold the dough every thirty minutes for two hours. Shape it, \
    let it rise until it has grown by half, and bake it at 230 °C for 40 minutes, the first 15 with a tray \
    of water in the oven. The crust should sound hollow when tapped underneath. If it does not, give it \
    another five minutes; ovens lie, and the bread does not.

    Numbers behave in ways that surprise people who meet them late. The sum 1 + 2 + 3 + … + 100 equals \
    5050, which a schoolboy is said to have found by pairing the first term with the last. The square root \
    of 2 is about 1.41421356, and no fraction equals it exactly. A year has 365.2422 days, near enough, which \
    is why calendars need leap years and why, once every four centuries, they skip one. In 2024 the leap \
    day fell on a Thursday; in 2028 it will fall on a Tuesday.

    def moving_average(values, window=3):
        \"\"\"Return the averages of each run of `window` consecutive values.\"\"\"
        if window <= 0:
            raise ValueError("window must be positive")
        total = sum(values[:window])
        averages = [total / window]
        for i in range(window, len(values)):
            total += values[i] - values[i - window]
            averages.append(total / window)
        return averages

    The function above runs in linear time: each value enters the running total once and leaves it once. \
    A version that summed every window from scratch would do `window` times as much work, which matters \
    little for three values and a great deal for three thousand.

    Rivers do not run straight for long. A small bend makes the water on the outside of the curve move \
    faster than the water on the inside; the fast water cuts the bank, the slow water drops its sand, and \
    the bend grows. Over centuries a river writes loops across its valley like a hand signing a name, and \
    now and then it cuts through the neck of a loop and leaves a curved lake behind, cut off and still, \
    where herons stand in the shallows and wait.

    Things to check before a long walk in the hills:
    - the forecast for the whole day, not just the morning;
    - water, at least one litre for every three hours;
    - a map, a compass, and the knowledge of how to use them together;
    - a warm layer, even in summer, because the summit is colder than the car park;
    - someone at home who knows the route and the time you expect to be back.

    The old clockmaker said that the hardest part of his trade was not the cutting of gears or the \
    setting of jewels but the listening. A clock that is nearly right ticks almost evenly, and the ear \
    learns to hear the small limp in its step long before the hands drift far enough to see. "Tick, tock, \
    tick — tock," he would say, tapping the bench, "there: it's tired on the left." Then he would open the \
    case, bend the crutch by the width of a hair, close it again, and listen for another day.

    When the supply boat finally came, it brought flour, diesel, a crate of apples, and a letter from the \
    authority that ran the lights. The letter said that the lighthouse would be automated in the spring, \
    and thanked the keeper for her years of service. She read it twice, put it in the second notebook, \
    and went up the stairs to clean the lens, because the sun was going down and the light would be \
    needed, tonight as on every other night, whoever was there to start it.
    """
}
