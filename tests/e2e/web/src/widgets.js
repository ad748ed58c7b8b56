// The Enketo widgets the QAF form needs, in enketo-core's order. The build aliases `enketo/widgets` here instead
// of enketo-core's src/js/widgets.js, which lists every widget and pulls leaflet, leaflet-draw, signature_pad …
// into the bundle. The form uses select_one as radio buttons, text and multiline text, a date, a select_one with
// appearance `autocomplete` (country), notes, calculates, field-list groups, style `pages` and language switching.
import autocomplete from 'enketo-core/src/widget/select-autocomplete/autocomplete';
import textarea from 'enketo-core/src/widget/textarea/textarea';
import radio from 'enketo-core/src/widget/radio/radiopicker';
import datepicker from 'enketo-core/src/widget/date/datepicker-extended';
import textMax from 'enketo-core/src/widget/text-max/text-max';

export default [autocomplete, textarea, radio, datepicker, textMax];
