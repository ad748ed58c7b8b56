"""ODK Central: credentials by pyodk's conventions, the client (on :mod:`qaf_kobo.http`), deploying the XForm,
paged OData reads, and Central's submissions in the store's row format."""
