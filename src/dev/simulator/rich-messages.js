// Draws what LINE draws for the bot's richer messages: templates, Flex Messages and imagemaps.
// Loaded into the simulator's page (routes.ts inlines it); `richMessage(message, onAction)`
// returns the element, and every tappable part calls `onAction(action)` with LINE's action object.

function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "style") Object.assign(node.style, value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** Makes `node` do `action` when tapped, as LINE does for boxes, images and bubbles. */
function tappable(node, action, onAction) {
  if (!action) return node;
  node.classList.add("tappable");
  node.dataset.actionType = action.type;
  node.addEventListener("click", (event) => {
    event.stopPropagation();
    onAction(action);
  });
  return node;
}

/** A transparent pixel: what a missing image shows, so only its grey box is seen. */
const NOTHING = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

/** An image the simulator may not reach (no network): a grey box of the same shape instead. */
function picture(url, props) {
  const img = h("img", { ...props, src: url, alt: props?.alt ?? "" });
  const missing = () => {
    img.classList.add("missing");
    img.src = NOTHING;
  };
  img.addEventListener("error", missing, { once: true });
  return img;
}

function actionButton(action, onAction, className) {
  const label = action.label ?? action.type;
  return h(
    "button",
    {
      type: "button",
      class: className,
      dataset: { actionType: action.type },
      onclick: () => onAction(action),
    },
    label,
  );
}

// ---------------------------------------------------------------- templates

const RATIOS = { rectangle: "1.51 / 1", square: "1 / 1" };

function templateColumn(column, template, onAction) {
  const ratio = RATIOS[template.imageAspectRatio ?? "rectangle"];
  const fit = template.imageSize === "contain" ? "contain" : "cover";
  const thumb = column.thumbnailImageUrl
    ? picture(column.thumbnailImageUrl, {
        class: "tpl-thumb",
        style: {
          aspectRatio: ratio,
          objectFit: fit,
          backgroundColor: column.imageBackgroundColor,
        },
      })
    : null;
  const body = tappable(
    h(
      "div",
      { class: "tpl-body" },
      column.title ? h("div", { class: "tpl-title" }, column.title) : null,
      h("div", { class: "tpl-text" }, column.text),
    ),
    column.defaultAction,
    onAction,
  );
  const actions = h(
    "div",
    { class: "tpl-actions" },
    ...(column.actions ?? []).map((a) => actionButton(a, onAction)),
  );
  return h(
    "div",
    { class: "tpl-card", dataset: { template: template.type } },
    thumb,
    body,
    actions,
  );
}

function template(message, onAction) {
  const t = message.template;
  switch (t.type) {
    case "buttons":
      return templateColumn(t, t, onAction);
    case "confirm":
      return h(
        "div",
        { class: "tpl-card tpl-confirm", dataset: { template: "confirm" } },
        h("div", { class: "tpl-body" }, h("div", { class: "tpl-text" }, t.text)),
        h(
          "div",
          { class: "tpl-actions side-by-side" },
          ...t.actions.map((a) => actionButton(a, onAction)),
        ),
      );
    case "carousel":
      return h(
        "div",
        { class: "carousel", dataset: { template: "carousel" } },
        ...t.columns.map((c) => templateColumn(c, t, onAction)),
      );
    case "image_carousel":
      return h(
        "div",
        { class: "carousel", dataset: { template: "image_carousel" } },
        ...t.columns.map((c) =>
          tappable(
            h(
              "div",
              { class: "img-column" },
              picture(c.imageUrl, { class: "img-square" }),
              c.action.label ? h("span", {}, c.action.label) : null,
            ),
            c.action,
            onAction,
          ),
        ),
      );
    default:
      return h("div", { class: "bubble" }, message.altText);
  }
}

// ---------------------------------------------------------------- Flex

const SPACING = { none: "0", xs: "2px", sm: "4px", md: "8px", lg: "12px", xl: "16px", xxl: "20px" };
const TEXT_SIZE = {
  xxs: "11px",
  xs: "13px",
  sm: "14px",
  md: "16px",
  lg: "19px",
  xl: "22px",
  xxl: "29px",
  "3xl": "35px",
  "4xl": "48px",
  "5xl": "74px",
};
const IMAGE_SIZE = {
  xxs: "40px",
  xs: "60px",
  sm: "80px",
  md: "100px",
  lg: "120px",
  xl: "140px",
  xxl: "160px",
  "3xl": "180px",
  "4xl": "200px",
  "5xl": "240px",
  full: "100%",
};
const BUBBLE_WIDTH = {
  nano: "120px",
  micro: "160px",
  deca: "220px",
  hecto: "241px",
  kilo: "260px",
  mega: "300px",
  giga: "386px",
};
const length = (value, table) => (value === undefined ? undefined : (table[value] ?? value));
const ratio = (value) => (value ? value.replace(":", " / ") : undefined);

/** How a component sits in its box: LINE's `flex` (1 across, 0 down by default) and `margin`. */
function placement(c, across) {
  const grow = c.flex ?? (across && c.type !== "separator" ? 1 : 0);
  const margin = length(c.margin, SPACING);
  const style = { flex: `${grow} ${grow === 0 ? 0 : 1} ${grow === 0 ? "auto" : "0"}` };
  if (margin) style[across ? "marginLeft" : "marginTop"] = margin;
  if (c.position === "absolute")
    Object.assign(style, {
      position: "absolute",
      top: c.offsetTop,
      bottom: c.offsetBottom,
      left: c.offsetStart,
      right: c.offsetEnd,
    });
  else if (c.offsetTop || c.offsetStart)
    Object.assign(style, { position: "relative", top: c.offsetTop, left: c.offsetStart });
  if (c.gravity)
    style.alignSelf = { top: "flex-start", center: "center", bottom: "flex-end" }[c.gravity];
  return style;
}

function flexBox(box, across, onAction) {
  const horizontal = box.layout !== "vertical";
  const style = {
    ...placement(box, across),
    display: "flex",
    flexDirection: horizontal ? "row" : "column",
    alignItems: box.layout === "baseline" ? "baseline" : box.alignItems,
    justifyContent: box.justifyContent,
    gap: length(box.spacing, SPACING),
    background:
      box.background?.type === "linearGradient"
        ? `linear-gradient(${box.background.angle}, ${box.background.startColor}, ${box.background.endColor})`
        : box.backgroundColor,
    border: box.borderWidth
      ? `${length(box.borderWidth, { light: "0.5px", normal: "1px", medium: "2px", "semi-bold": "3px", bold: "4px" })} solid ${box.borderColor ?? "#000"}`
      : undefined,
    borderRadius: length(box.cornerRadius, SPACING),
    width: box.width,
    maxWidth: box.maxWidth,
    height: box.height,
    maxHeight: box.maxHeight,
    padding: length(box.paddingAll, SPACING),
    paddingTop: length(box.paddingTop, SPACING),
    paddingBottom: length(box.paddingBottom, SPACING),
    paddingLeft: length(box.paddingStart, SPACING),
    paddingRight: length(box.paddingEnd, SPACING),
  };
  const children = (box.contents ?? []).map((c) => flexComponent(c, horizontal, onAction));
  return tappable(
    h("div", { class: "fx-box", dataset: { layout: box.layout }, style }, ...children),
    box.action,
    onAction,
  );
}

function flexText(c, across, onAction) {
  const style = {
    ...placement(c, across),
    fontSize: length(c.size ?? "md", TEXT_SIZE),
    fontWeight: c.weight === "bold" ? "700" : undefined,
    fontStyle: c.style,
    color: c.color ?? "#111",
    textAlign: c.align,
    textDecoration: c.decoration,
    lineHeight: c.lineSpacing ? `calc(1.3em + ${c.lineSpacing})` : undefined,
    whiteSpace: c.wrap ? "pre-wrap" : "nowrap",
    overflow: "hidden",
    textOverflow: "ellipsis",
  };
  if (c.maxLines)
    Object.assign(style, {
      display: "-webkit-box",
      WebkitBoxOrient: "vertical",
      WebkitLineClamp: String(c.maxLines),
      whiteSpace: "normal",
    });
  const spans = (c.contents ?? []).map((s) =>
    h(
      "span",
      {
        style: {
          color: s.color,
          fontWeight: s.weight === "bold" ? "700" : undefined,
          fontStyle: s.style,
          fontSize: length(s.size, TEXT_SIZE),
          textDecoration: s.decoration,
        },
      },
      s.text,
    ),
  );
  return tappable(
    h("div", { class: "fx-text", style }, ...(spans.length > 0 ? spans : [c.text])),
    c.action,
    onAction,
  );
}

function flexImage(c, across, onAction) {
  const width = length(c.size ?? "md", IMAGE_SIZE);
  const style = {
    ...placement(c, across),
    width,
    maxWidth: "100%",
    aspectRatio: ratio(c.aspectRatio ?? "1:1"),
    objectFit: c.aspectMode === "cover" ? "cover" : "contain",
    background: c.backgroundColor,
  };
  const wrap = h(
    "div",
    {
      class: "fx-image",
      style: {
        display: "flex",
        justifyContent: { start: "flex-start", end: "flex-end" }[c.align] ?? "center",
        ...placement(c, across),
      },
    },
    picture(c.url, { style }),
  );
  return tappable(wrap, c.action, onAction);
}

function flexButton(c, across, onAction) {
  const style = c.style ?? "link";
  const css = { ...placement(c, across), height: c.height === "sm" ? "40px" : "52px" };
  if (style === "link") css.color = c.color ?? "#42659a";
  else
    Object.assign(css, {
      background: c.color ?? (style === "primary" ? "#17c950" : "#dcdfe5"),
      color: style === "primary" ? "#fff" : "#111",
    });
  return h(
    "button",
    {
      type: "button",
      class: `fx-button ${style}`,
      style: css,
      dataset: { actionType: c.action.type },
      onclick: () => onAction(c.action),
    },
    c.action.label ?? "",
  );
}

function flexComponent(c, across, onAction) {
  switch (c.type) {
    case "box":
      return flexBox(c, across, onAction);
    case "text":
      return flexText(c, across, onAction);
    case "image":
      return flexImage(c, across, onAction);
    case "button":
      return flexButton(c, across, onAction);
    case "separator":
      return h("hr", {
        class: "fx-separator",
        style: { ...placement(c, across), borderColor: c.color ?? "#d4d6da" },
      });
    case "filler":
      return h("div", { class: "fx-filler", style: { flex: String(c.flex ?? 1) } });
    case "icon":
      return picture(c.url, {
        class: "fx-icon",
        style: {
          width: length(c.size ?? "md", TEXT_SIZE),
          aspectRatio: ratio(c.aspectRatio ?? "1:1"),
          marginLeft: length(c.margin, SPACING),
        },
      });
    case "video":
      return c.altContent ? flexComponent(c.altContent, across, onAction) : null;
    default:
      return h("div", { class: "fx-unknown" }, `[${c.type}]`);
  }
}

function flexBubble(bubble, onAction) {
  const block = (name, padding) => {
    const part = bubble[name];
    if (!part) return null;
    const style = bubble.styles?.[name] ?? {};
    const content =
      name === "hero" && part.type !== "box"
        ? flexComponent(part, false, onAction)
        : flexBox({ paddingAll: padding, ...part }, false, onAction);
    const separator = style.separator
      ? h("hr", {
          class: "fx-separator",
          style: { borderColor: style.separatorColor ?? "#d4d6da", margin: "0" },
        })
      : null;
    return h(
      "div",
      { class: `fx-block fx-${name}`, style: { background: style.backgroundColor } },
      separator,
      content,
    );
  };
  const node = h(
    "div",
    {
      class: "fx-bubble",
      dataset: { size: bubble.size ?? "mega" },
      style: { width: BUBBLE_WIDTH[bubble.size ?? "mega"], direction: bubble.direction },
    },
    block("header", "20px"),
    block("hero", "0"),
    block("body", "20px"),
    block("footer", "10px"),
  );
  return tappable(node, bubble.action, onAction);
}

function flex(message, onAction) {
  const contents = message.contents;
  if (contents.type === "carousel")
    return h(
      "div",
      { class: "carousel fx-carousel" },
      ...contents.contents.map((b) => flexBubble(b, onAction)),
    );
  return flexBubble(contents, onAction);
}

// ---------------------------------------------------------------- imagemap

const IMAGEMAP_SHOWN = 260;

function imagemap(message, onAction) {
  const scale = IMAGEMAP_SHOWN / message.baseSize.width;
  const height = Math.round(message.baseSize.height * scale);
  const areas = message.actions.map((a) => {
    const { x, y, width, height: tall } = a.area;
    const action =
      a.type === "uri"
        ? { type: "uri", uri: a.linkUri, label: a.label }
        : a.type === "message"
          ? { type: "message", text: a.text, label: a.label }
          : { type: "clipboard", clipboardText: a.clipboardText, label: a.label };
    const style = {
      left: `${x * scale}px`,
      top: `${y * scale}px`,
      width: `${width * scale}px`,
      height: `${tall * scale}px`,
    };
    return h("button", {
      type: "button",
      class: "imagemap-area",
      title: a.label ?? a.text ?? a.linkUri ?? "",
      style,
      dataset: { actionType: action.type },
      onclick: () => onAction(action),
    });
  });
  const image = picture(`${message.baseUrl}/1040`, {
    class: "imagemap-image",
    alt: message.altText,
  });
  return h(
    "div",
    { class: "imagemap", style: { width: `${IMAGEMAP_SHOWN}px`, height: `${height}px` } },
    image,
    ...areas,
  );
}

/** The element LINE would show for a template, Flex or imagemap message; undefined for others. */
// biome-ignore lint/correctness/noUnusedVariables: called by the page's script
function richMessage(message, onAction) {
  if (message.type === "template") return template(message, onAction);
  if (message.type === "flex") return flex(message, onAction);
  if (message.type === "imagemap") return imagemap(message, onAction);
  return undefined;
}
