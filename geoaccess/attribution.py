"""The notices the data's licences require, written once for the pack build, maps and pages."""

OS_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right 2025; "
    "Contains Royal Mail data © Royal Mail copyright and database right 2025; "
    "Contains National Statistics data © Crown copyright and database right 2025"
)
ONS_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0; "
    "Contains OS data © Crown copyright and database right"
)
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
NAPTAN_ATTRIBUTION = "Contains public sector information from DfT NaPTAN, licensed under the OGL v3.0"
RDG_ATTRIBUTION = "Contains timetable data from the Rail Delivery Group"
