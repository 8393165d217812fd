// Generates tests/data/z2m_sample/: real Zigbee2MQTT device definitions as the
// `zigbee2mqtt/bridge/devices` payload Zigbee2MQTT publishes, and what Zigbee2MQTT's own
// Home Assistant discovery makes of each device (the oracle), reduced to facts.
//
// Not part of the test run, and nothing of the libraries is committed: run it by hand
// when the sample should change.
//
//   mkdir /tmp/z2m && cd /tmp/z2m && npm init -y >/dev/null &&
//     npm install --ignore-scripts zigbee2mqtt@2.14.1
//   NODE_PATH=/tmp/z2m/node_modules node tests/generate_z2m_sample.js [count]
//
// The definitions come from zigbee-herdsman-converters (MIT); the oracle from
// zigbee2mqtt's lib/extension/homeassistant (GPL-3.0), run on them. Only derived facts of
// its output are written (platform, object id, property, category, enabled, the values a
// command sends), never its templates or code.

"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const OUT = path.join(__dirname, "data", "z2m_sample");
const COUNT = Number(process.argv[2] || 300);

// Zigbee2MQTT reads its settings from its data directory: a minimal one, HA enabled.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "z2m-data-"));
fs.writeFileSync(path.join(dataDir, "configuration.yaml"), [
    "homeassistant:", "  enabled: true", "mqtt:", "  base_topic: zigbee2mqtt",
    "  server: mqtt://localhost:1", "advanced:", "  last_seen: disable", "  output: json",
    "frontend:", "  enabled: false", "",
].join("\n"));
process.env.ZIGBEE2MQTT_DATA = dataDir;

const zhc = require("zigbee-herdsman-converters");
const settings = require("zigbee2mqtt/dist/util/settings");
const {default: HomeAssistant} = require("zigbee2mqtt/dist/extension/homeassistant");

const DUMMY = {isDummyDevice: true, endpoints: [], getEndpoint: () => undefined,
               ieeeAddr: "0x0000000000000000", modelID: "dummy", manufacturerName: "dummy"};
const LINKQUALITY = {type: "numeric", name: "linkquality", property: "linkquality",
                     label: "Linkquality", access: 1, unit: "lqi", value_min: 0,
                     value_max: 255, category: "diagnostic",
                     description: "Link quality (signal strength)"};

function plain(value) {
    return JSON.parse(JSON.stringify(value));
}

function exposesOf(definition) {
    try {
        const raw = typeof definition.exposes === "function"
            ? definition.exposes(DUMMY, {}) : definition.exposes;
        return [...plain(raw), LINKQUALITY];
    } catch {
        return null;  // exposes that need a real device (its endpoints) are left out
    }
}

function signature(expose, into) {
    into.add(`${expose.type}:${expose.access ?? 0}:${expose.category ?? ""}`);
    for (const feature of expose.features ?? []) signature(feature, into);
    return into;
}

async function allDefinitions() {
    const main = require.resolve("zigbee-herdsman-converters");  // .../dist/index.js
    const dir = path.join(path.dirname(main), "devices");
    const found = [];
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".js")).sort()) {
        if (file === "index.js") continue;
        const {definitions} = require(path.join(dir, file));
        for (const definition of definitions ?? []) {
            const prepared = zhc.prepareDefinition ? zhc.prepareDefinition(definition) : definition;
            found.push(prepared);
        }
    }
    return found;
}

function sample(definitions, count) {
    const usable = definitions
        .map((d) => ({d, exposes: exposesOf(d)}))
        .filter((x) => x.exposes !== null && x.exposes.length > 1);
    usable.sort((a, b) => `${a.d.vendor}/${a.d.model}`.localeCompare(`${b.d.vendor}/${b.d.model}`));
    const chosen = [];
    const seen = new Set();
    // first every definition that brings an expose kind/access/category not seen yet ...
    for (const item of usable) {
        const kinds = new Set();
        for (const e of item.exposes) signature(e, kinds);
        if ([...kinds].some((k) => !seen.has(k))) {
            chosen.push(item);
            for (const k of kinds) seen.add(k);
        }
    }
    // ... then an even stride over the rest, up to `count`
    const rest = usable.filter((x) => !chosen.includes(x));
    const step = Math.max(1, Math.floor(rest.length / Math.max(1, count - chosen.length)));
    for (let i = 0; i < rest.length && chosen.length < count; i += step) chosen.push(rest[i]);
    return chosen;
}

function oracleFor(ha, exposes, definition, ieee) {
    const entity = {isDevice: () => true, isGroup: () => false, endpoint: () => undefined,
                    ieeeAddr: ieee, definition, options: {}, zh: {endpoints: []}};
    const entries = [];
    for (const expose of exposes) {
        let configs;
        try {
            configs = ha.exposeToConfig([expose], entity, exposes);
        } catch (error) {
            entries.push({error: String(error.message || error), property: expose.property});
            continue;
        }
        for (const config of configs) {
            const p = config.discovery_payload;
            const fact = {
                platform: config.type,
                object_id: config.object_id,
                property: expose.property ?? expose.type,
                properties: expose.features ? expose.features.map((f) => f.property)
                    : [expose.property],
                endpoint: expose.endpoint ?? null,
                entity_category: p.entity_category ?? null,
                enabled: p.enabled_by_default !== false,
            };
            for (const key of ["payload_on", "payload_off", "payload_press", "options", "min",
                               "max", "step", "state_on", "state_off", "command_topic_postfix",
                               "command_topic_prefix", "supported_color_modes",
                               "speed_range_min", "speed_range_max", "device_class",
                               "unit_of_measurement", "state_class", "available_tones",
                               "min_mireds", "max_mireds", "brightness_scale", "modes",
                               "preset_modes", "fan_modes"]) {
                if (p[key] !== undefined && p[key] !== null) fact[key] = p[key];
            }
            entries.push(fact);
        }
    }
    if (definition.ota) {
        entries.push({platform: "update", object_id: "update", property: "update",
                      entity_category: "config", enabled: true});
    }
    return entries;
}

async function main() {
    settings.reRead?.();
    const ha = new HomeAssistant(null, null, null, null, null, null, null, null);
    const definitions = await allDefinitions();
    const chosen = sample(definitions, COUNT);
    const devices = [];
    const oracle = {};
    chosen.forEach(({d, exposes}, i) => {
        const ieee = `0x00124b00${(0x10000000 + i).toString(16).padStart(8, "0")}`;
        const name = `sample/${String(i).padStart(3, "0")}_${d.model}`.replace(/[^A-Za-z0-9_/.-]/g, "_");
        devices.push({
            ieee_address: ieee, friendly_name: name, type: "Router", network_address: i + 1,
            supported: true, disabled: false, interview_completed: true, interviewing: false,
            definition: {model: d.model, vendor: d.vendor, description: d.description ?? "",
                         exposes, options: [], supports_ota: !!d.ota},
        });
        oracle[name] = oracleFor(ha, exposes, d, ieee);
    });
    fs.mkdirSync(OUT, {recursive: true});
    fs.writeFileSync(path.join(OUT, "bridge_devices.json"), JSON.stringify(devices) + "\n");
    fs.writeFileSync(path.join(OUT, "ha_entities.json"), JSON.stringify(oracle, null, 1) + "\n");
    const total = Object.values(oracle).flat().length;
    console.log(`${devices.length} devices of ${definitions.length} definitions, ${total} discovery entities`);
}

main().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
