import { definePlugin, message, quickReply, withQuickReply, z } from "hotline";

const drink = z.enum(["latte", "tea"], { error: "we have latte and tea" });

export default definePlugin({
  name: "barista",
  commands: {
    order: {
      description: "orders a drink",
      usage: "order <latte|tea>",
      args: drink,
      handle: (choice, _event, ctx) => {
        const sizes = (["S", "M", "L"] as const).map((size) =>
          ctx.postback("size", { drink: choice, size }, { label: size, displayText: size }),
        );
        const pickup = ctx.datetimePicker(
          "pickup",
          { drink: choice },
          { label: "Pick-up time", mode: "time" },
        );
        return ctx.reply(
          withQuickReply(
            message.text(`Which size of ${choice}?`),
            [...sizes, pickup].map((action) => quickReply.action(action)),
          ),
        );
      },
    },
  },
  postbacks: {
    // Each route's data is checked against its schema when the button is built and when it
    // comes back; the handler gets it typed.
    size: {
      data: z.object({ drink, size: z.enum(["S", "M", "L"]) }),
      handle: (data, _event, ctx) => ctx.reply(`One ${data.size} ${data.drink} coming up.`),
    },
    pickup: {
      data: z.object({ drink }),
      // A picker's choice comes in event.postback.params.
      handle: (data, event, ctx) =>
        ctx.reply(`Your ${data.drink} will be ready at ${event.postback.params?.time}.`),
    },
  },
});
